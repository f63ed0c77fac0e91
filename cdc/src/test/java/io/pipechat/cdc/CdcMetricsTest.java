package io.pipechat.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CdcMetricsTest {
    private final MockClock clock = new MockClock();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    private final AtomicReference<CdcEngine.State> state = new AtomicReference<>(CdcEngine.State.STARTING);

    @Test
    void countsByTableAndOperationAndTimesBinlogChangesFromTheirSourceTimestamp() {
        CdcMetrics metrics = new CdcMetrics(registry, state::get);
        clock.add(Duration.ofDays(20_000)); // a wall time in this century
        long now = clock.wallTime();
        assertThat(registry.get("pipechat.cdc.last.event.age").gauge().value()).as("before any event").isNaN();

        metrics.written("group_members", new ChangeSummary("read", now - 60_000, now - 10));
        metrics.written("group_members", new ChangeSummary("create", now - 1_500, now - 20));
        metrics.written("group_members", ChangeSummary.TOMBSTONE);
        metrics.written("chat_groups", new ChangeSummary("create", now + 3_000, now)); // database clock ahead

        assertThat(metrics.events("group_members", "read")).isEqualTo(1);
        assertThat(metrics.events("group_members", "create")).isEqualTo(1);
        assertThat(metrics.events("group_members", "tombstone")).isEqualTo(1);
        assertThat(metrics.events("chat_groups", "create")).isEqualTo(1);
        assertThat(metrics.events("chat_groups", "read")).isZero();
        var lag = registry.get("pipechat.cdc.lag").timer();
        assertThat(lag.count()).as("the snapshot read and the tombstone have no commit time").isEqualTo(2);
        assertThat(lag.totalTime(TimeUnit.MILLISECONDS)).as("1.5 s, and 0 for the clock ahead").isEqualTo(1_500);
        var delay = registry.get("pipechat.cdc.publish.delay").timer();
        assertThat(delay.count()).isEqualTo(3);
        assertThat(delay.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(30);

        clock.add(Duration.ofSeconds(2));
        assertThat(registry.get("pipechat.cdc.last.event.age").gauge().value())
                .as("the newest source timestamp was 3 s ahead; 2 s later it is 'now' still").isZero();
        clock.add(Duration.ofSeconds(5));
        assertThat(registry.get("pipechat.cdc.last.event.age").gauge().value()).isEqualTo(4.0);
    }

    @Test
    void stateGaugeFollowsTheEngineAndFailuresAreCountedPerTable() {
        CdcMetrics metrics = new CdcMetrics(registry, state::get);
        assertThat(registry.get("pipechat.cdc.state").tag("state", "STARTING").gauge().value()).isEqualTo(1);
        state.set(CdcEngine.State.RUNNING);
        assertThat(registry.get("pipechat.cdc.state").tag("state", "STARTING").gauge().value()).isZero();
        assertThat(registry.get("pipechat.cdc.state").tag("state", "RUNNING").gauge().value()).isEqualTo(1);

        metrics.writeFailed("chat_groups");
        metrics.writeFailed("chat_groups");
        assertThat(registry.get("pipechat.cdc.write.failures").tag("table", "chat_groups").counter().count())
                .isEqualTo(2);

        metrics.close();
        assertThat(registry.find("pipechat.cdc.state").gauges()).as("bound to the closed engine: removed").isEmpty();
        assertThat(registry.find("pipechat.cdc.last.event.age").gauges()).isEmpty();
        CdcMetrics next = new CdcMetrics(registry, () -> CdcEngine.State.STOPPED);
        assertThat(registry.get("pipechat.cdc.state").tag("state", "STOPPED").gauge().value())
                .as("a later engine on the same registry gets gauges of its own").isEqualTo(1);
        assertThat(registry.get("pipechat.cdc.write.failures").counter().count()).as("counters stay").isEqualTo(2);
        next.close();
    }

    @Test
    void theTableIsTheLastPartOfTheTopic() {
        assertThat(KafkaChangeWriter.table("cdc.chat.group_members")).isEqualTo("group_members");
        assertThat(KafkaChangeWriter.table("plain")).isEqualTo("plain");
        assertThat(KafkaChangeWriter.table(null)).isEqualTo("unknown");
    }
}
