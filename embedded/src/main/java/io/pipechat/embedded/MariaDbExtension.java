package io.pipechat.embedded;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives tests a real MariaDB server: {@code @ExtendWith(MariaDbExtension.class)}
 * and a parameter of type {@link EmbeddedMariaDb}. One server (temporary directory, free port,
 * database {@code chat}) serves every test of the JVM; it is stopped after the last test, or by its
 * shutdown hook if the JVM ends otherwise. Tests that need a database of their own take one from
 * {@link #uniqueDatabase(EmbeddedMariaDb)}.
 */
public final class MariaDbExtension implements ParameterResolver {
    private static final AtomicInteger DATABASES = new AtomicInteger();

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedMariaDb.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return server(context);
    }

    public static EmbeddedMariaDb server(ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Server.class, k -> new Server(EmbeddedMariaDb.start()), Server.class)
                .db();
    }

    /** Creates a database no other test of this JVM uses and returns its name. */
    public static String uniqueDatabase(EmbeddedMariaDb db) {
        String name = "t" + DATABASES.incrementAndGet();
        db.createDatabase(name);
        return name;
    }

    private record Server(EmbeddedMariaDb db) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() {
            db.close();
        }
    }
}
