package io.pipechat.local;

import io.pipechat.groups.GroupsConfig;
import io.pipechat.router.RouterConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One whole stack (two edges) for every end-to-end test class of the JVM, stopped after the last
 * test: it takes a while to start, and tests keep apart by using user names of their own. Edges
 * count as gone 3 s after their last heartbeat (tests crash one), and the group job checkpoints
 * (so commits its output) every 300 ms.
 */
public final class StackExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LocalStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Shared.class, k -> new Shared(LocalStack.start(LocalStack.Options.ephemeral(2)
                        .withRouter(RouterConfig.defaults().withEdgeTimeout(Duration.ofSeconds(3)))
                        .withGroups(GroupsConfig.defaults().withCheckpointInterval(Duration.ofMillis(300)))
                        // The tests' stand-in push service listens on plain http on loopback.
                        .withSettings(Map.of("notifier.allow-http-endpoints", "true",
                                "notifier.push.allowed-hosts", "127.0.0.1",
                                "notifier.push.allow-loopback", "true")))), Shared.class)
                .stack();
    }

    private record Shared(LocalStack stack) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            stack.close();
        }
    }
}
