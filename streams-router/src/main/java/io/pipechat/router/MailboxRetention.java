package io.pipechat.router;

import io.pipechat.router.state.MailboxEntry;
import io.pipechat.router.state.MailboxKeys;
import io.pipechat.router.state.UserState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention: deletes mailbox entries stored longer ago than the retention, acked or not
 * (PROTOCOL.md), lowers their users' pending counts and raises their floor past them (so a device
 * registered later starts after them). Run by a wall-clock punctuator of
 * {@link UserEventProcessor}. A user's entries are stored in seq order, so the scan skips to the
 * next user at the first entry still young enough: the cost is one seek per user with mail plus one
 * step per expired entry. The first entry kept of each user gives the task's oldest entry
 * ({@link RouterMeters}) at no extra cost.
 */
final class MailboxRetention {
    private static final Logger LOG = LoggerFactory.getLogger(MailboxRetention.class);

    private final Duration retention;
    private final KeyValueStore<String, MailboxEntry> mailbox;
    private final MailboxCensus census;
    private final IntConsumer expired;

    /** @param expired told the number of entries expired of each user */
    MailboxRetention(Duration retention, KeyValueStore<String, MailboxEntry> mailbox, MailboxCensus census,
                     IntConsumer expired) {
        this.retention = retention;
        this.mailbox = mailbox;
        this.census = census;
        this.expired = expired;
    }

    void expire(long now) {
        long cutoff = now - retention.toMillis();
        long oldest = RouterMeters.TaskMailbox.NONE;
        Map<String, Integer> expiredPerUser = new HashMap<>();
        Map<String, Long> expiredUpto = new HashMap<>();
        String from = null;
        boolean more = true;
        while (more) {
            more = false;
            List<String> doomed = new ArrayList<>();
            try (KeyValueIterator<String, MailboxEntry> it = from == null ? mailbox.all() : mailbox.range(from, null)) {
                while (it.hasNext()) {
                    KeyValue<String, MailboxEntry> entry = it.next();
                    if (entry.value.storedAt() < cutoff) {
                        doomed.add(entry.key);
                    } else {
                        oldest = Math.min(oldest, entry.value.storedAt());
                        from = MailboxKeys.afterUser(MailboxKeys.user(entry.key));
                        more = true;
                        break;
                    }
                }
            }
            for (String key : doomed) {
                mailbox.delete(key);
                expiredPerUser.merge(MailboxKeys.user(key), 1, Integer::sum);
                expiredUpto.merge(MailboxKeys.user(key), MailboxKeys.seq(key), Math::max);
            }
        }
        expiredPerUser.forEach((user, n) -> {
            UserState u = census.get(user);
            int pendingBefore = u.pending();
            u.expired(n, expiredUpto.get(user));
            census.put(user, pendingBefore, u);
            expired.accept(n);
        });
        census.oldest(oldest);
        if (!expiredPerUser.isEmpty()) {
            LOG.info("retention deleted mailbox entries older than {} of {} users", retention, expiredPerUser.size());
        }
    }
}
