package io.pipechat.router;

import io.pipechat.router.state.Device;
import io.pipechat.router.state.UserState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forgets devices unused for the retention period (no session, and not seen for that long), so that
 * a lost phone does not keep messages in the mailbox for ever. Run by the same wall-clock punctuator
 * as {@link MailboxRetention}; each run looks at the next {@link #CHUNK} users of the task, so a full
 * pass over a big task takes several runs and no run holds the stream thread for long.
 */
final class DeviceRetention {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceRetention.class);
    static final int CHUNK = 10_000;

    /** Told of a user whose devices were forgotten (their state is written by the callee). */
    interface Forgotten {
        void forgotten(String user, UserState state, long now);
    }

    private final Duration retention;
    private final MailboxCensus census;
    private final Forgotten forgotten;
    private String sweptUpTo;

    DeviceRetention(Duration retention, MailboxCensus census, Forgotten forgotten) {
        this.retention = retention;
        this.census = census;
        this.forgotten = forgotten;
    }

    void sweep(long now) {
        long cutoff = now - retention.toMillis();
        List<KeyValue<String, UserState>> changed = new ArrayList<>();
        int seen = 0;
        boolean more;
        try (KeyValueIterator<String, UserState> it = census.from(sweptUpTo)) {
            while (seen < CHUNK && it.hasNext()) {
                KeyValue<String, UserState> u = it.next();
                sweptUpTo = u.key;
                seen++;
                List<Device> unused = new ArrayList<>();
                for (Device d : u.value.devices()) {
                    boolean connected = u.value.sessions().stream().anyMatch(s -> s.device().equals(d.name()));
                    if (!connected && d.lastSeen() < cutoff) {
                        unused.add(d);
                    }
                }
                if (!unused.isEmpty()) {
                    unused.forEach(u.value::remove);
                    changed.add(u);
                }
            }
            more = it.hasNext();
        }
        if (!more) {
            sweptUpTo = null;
        }
        for (KeyValue<String, UserState> u : changed) {
            int pendingBefore = u.value.pending();
            forgotten.forgotten(u.key, u.value, now);
            census.put(u.key, pendingBefore, u.value);
        }
        if (!changed.isEmpty()) {
            LOG.info("forgot devices unused for {} of {} users", retention, changed.size());
        }
    }
}
