package io.pipechat.embedded;

import io.pipechat.protocol.Topics;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives tests a real Kafka broker: {@code @ExtendWith(KafkaExtension.class)}
 * and a parameter of type {@link EmbeddedKafka}. One broker serves every test of the JVM (it starts
 * in about three seconds, and is shut down after the last test); tests keep apart by using their
 * own topics, from {@link #uniqueTopics()}.
 */
public final class KafkaExtension implements ParameterResolver {
    private static final AtomicInteger TOPIC_SETS = new AtomicInteger();

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedKafka.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return broker(context);
    }

    public static EmbeddedKafka broker(ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Broker.class, k -> new Broker(EmbeddedKafka.start()), Broker.class)
                .kafka();
    }

    /** Topic names no other test in this JVM uses. */
    public static Topics uniqueTopics() {
        return Topics.defaults().withPrefix("t" + TOPIC_SETS.incrementAndGet() + ".");
    }

    private record Broker(EmbeddedKafka kafka) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            kafka.close();
        }
    }
}
