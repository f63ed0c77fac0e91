package io.pipechat.notifier;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {
    private final TopicPartition p0 = new TopicPartition("chat.push", 0);
    private final TopicPartition p1 = new TopicPartition("chat.push", 1);
    private final OffsetTracker tracker = new OffsetTracker();

    @Test
    void commitsOnlyUpToTheOldestUnfinishedRequest() {
        tracker.polled(p0, 10);
        tracker.polled(p0, 11);
        tracker.polled(p0, 12);
        tracker.finished(p0, 11);
        tracker.finished(p0, 12);

        assertThat(tracker.committable()).isEqualTo(Map.of(p0, new OffsetAndMetadata(10)));
        assertThat(tracker.inFlight()).isEqualTo(1);

        tracker.committed(tracker.committable());
        assertThat(tracker.committable()).as("nothing moved").isEmpty();

        tracker.finished(p0, 10);
        assertThat(tracker.committable()).isEqualTo(Map.of(p0, new OffsetAndMetadata(13)));
    }

    @Test
    void partitionsAreIndependentAndForgottenOnRevocation() {
        tracker.polled(p0, 5);
        tracker.polled(p1, 7);
        tracker.finished(p1, 7);

        assertThat(tracker.committable()).isEqualTo(Map.of(p0, new OffsetAndMetadata(5), p1, new OffsetAndMetadata(8)));

        tracker.forget(List.of(p0));
        tracker.finished(p0, 5); // a late finish of a revoked partition is ignored
        assertThat(tracker.inFlight()).isZero();
        assertThat(tracker.committable()).containsOnlyKeys(p1);
    }
}
