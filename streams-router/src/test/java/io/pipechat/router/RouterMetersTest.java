package io.pipechat.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** The per-task mailbox figures while their initial count is still under way, and their Prometheus names. */
class RouterMetersTest {

    @Test
    void shouldApplyChangesOnlyForUsersAlreadyCountedSoTheResultIsExact() {
        RouterMeters.TaskMailbox m = new RouterMeters.TaskMailbox();
        // The store holds a=1, b=2, c=3; the count proceeds one user per chunk.
        m.changed("a", 1, 2);                          // before any chunk: a is counted later as 2
        m.counted("a", 2, 1, false);
        m.changed("a", 2, 0);                          // counted: applied
        m.changed("b", 2, 5);                          // not yet counted: the scan will see 5
        assertThat(m.entries()).isZero();
        assertThat(m.users()).isZero();
        m.counted("b", 5, 1, false);
        m.changed("c", 3, 0);                          // not yet counted: the scan will see 0
        m.counted("c", 0, 0, true);
        assertThat(m.complete()).isTrue();
        assertThat(m.entries()).isEqualTo(5);
        assertThat(m.users()).isEqualTo(1);

        m.changed("zz", 0, 1);                         // after completion every change counts
        m.changed("b", 5, 0);
        assertThat(m.entries()).isEqualTo(1);
        assertThat(m.users()).isEqualTo(1);
    }

    @Test
    void shouldCompleteAnEmptyStoreInOneStep() {
        RouterMeters.TaskMailbox m = new RouterMeters.TaskMailbox();
        m.counted(null, 0, 0, true);
        m.changed("bob", 0, 1);
        assertThat(m.entries()).isEqualTo(1);
        assertThat(m.users()).isEqualTo(1);
    }

    @Test
    void shouldSumActiveTasksAndPublishPrometheusNames() {
        RouterMeters meters = new RouterMeters();
        RouterMeters.TaskMailbox t0 = meters.register("0_0");
        RouterMeters.TaskMailbox t1 = meters.register("0_1");
        t0.counted("bob", 3, 2, true);
        t1.counted("amy", 4, 1, true);
        t1.oldest(1_000);
        meters.messagesStored.add(7);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        meters.bindTo(registry);

        String text = registry.scrape();
        assertThat(text).contains("pipechat_router_mailbox_entries 7.0", "pipechat_router_mailbox_users 3.0",
                "pipechat_router_messages_stored_total 7.0", "pipechat_router_mailbox_oldest_age_seconds ");

        meters.unregister("0_1", new RouterMeters.TaskMailbox());
        assertThat(meters.mailboxEntries()).as("only the incarnation that registered unregisters").isEqualTo(7);
        meters.unregister("0_1", t1);
        assertThat(meters.mailboxEntries()).isEqualTo(3);
        assertThat(meters.oldestStoredAt()).isEqualTo(RouterMeters.TaskMailbox.NONE);
    }
}
