package io.pipechat.groups.types;

import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information for the project's immutable JSON records ({@code protocol} events and this
 * module's own records): they travel between operators and sit in keyed state as the same JSON that
 * {@code Json.MAPPER} writes to Kafka.
 *
 * <p>Why not Flink's own serializers: the protocol types are sealed interfaces of records (for
 * example {@code UserEvent}, {@code Address}), which Flink would hand to Kryo. JSON keeps state
 * readable and evolvable the same way the topics are (unknown fields ignored), and because the
 * records are immutable a copy between chained operators is the same instance.
 */
public final class JsonTypeInfo<T> extends TypeInformation<T> {
    private static final long serialVersionUID = 1L;

    private final Class<T> type;

    public JsonTypeInfo(Class<T> type) {
        this.type = Objects.requireNonNull(type);
    }

    public static <T> JsonTypeInfo<T> of(Class<T> type) {
        return new JsonTypeInfo<>(type);
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return type;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return new JsonTypeSerializer<>(type);
    }

    @Override
    public String toString() {
        return "Json<" + type.getName() + ">";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JsonTypeInfo<?> other && other.type.equals(type);
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof JsonTypeInfo<?>;
    }
}
