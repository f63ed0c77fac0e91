package io.pipechat.router;

import io.pipechat.protocol.Durations;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * The router's own settings. Every field has a default ({@link #defaults()}) that runs the embedded
 * stack; {@link #from(Function)} reads the keys below (e.g. from system properties or environment
 * variables) and keeps the default for every key that is absent.
 *
 * <p>Durations are written {@code 500ms}, {@code 10s}, {@code 1m}, {@code 24h}, {@code 30d}, or in
 * ISO-8601 ({@code PT10S}).
 *
 * @param applicationId     {@code router.application-id}, default {@code pipechat-router}: the Kafka
 *                          Streams application id (consumer group, prefix of changelog topics)
 * @param retention         {@code router.retention}, default 30 days: mailbox entries older than this
 *                          are deleted even if never acked (PROTOCOL.md delivery guarantees)
 * @param dedupWindow       {@code router.dedup-window}, default 24 h: a second message with the same
 *                          (recipient, sender, client id) within this window is dropped
 * @param edgeTimeout       {@code router.edge-timeout}, default 10 s: a session is offline when its
 *                          edge's newest heartbeat is older than this (edges beat every ~2 s)
 * @param retentionInterval {@code router.retention-interval}, default 1 min: how often the retention
 *                          punctuator (wall-clock) runs
 * @param pushQuietPeriod   {@code router.push-quiet-period}, default 10 min: at most one push request
 *                          per offline user per period; reset when the user opens a session
 * @param standbyReplicas   {@code router.standby-replicas}, default 0: Kafka Streams
 *                          {@code num.standby.replicas} (warm copies of the stores on other instances)
 * @param commitInterval    {@code router.commit-interval}, default 1 s: Kafka Streams
 *                          {@code commit.interval.ms}. The router runs at-least-once ({@link Router}),
 *                          so its output is visible as soon as it is written and a commit (producer
 *                          flush, store flush, offset commit) does not bound delivery latency. It
 *                          bounds how much input is processed again after a crash (harmless, see
 *                          {@link UserEventProcessor}, but redelivered to live sessions), and each
 *                          commit costs a flush of every store and an offset commit: 1 s keeps
 *                          both small. Under exactly-once (until this change) it was 100 ms and
 *                          every message waited for two commits (BENCHMARKS.md).
 * @param sessionTimeout    {@code router.session-timeout}, default 10 s: the stream threads' consumer
 *                          {@code session.timeout.ms}, i.e. how long the group coordinator waits for a
 *                          router that stopped heartbeating (killed, host lost) before it hands that
 *                          router's tasks to the others. Kafka's default is 45 s; 10 s was the default
 *                          until Kafka 3.0 and is what a chat service can afford to wait. A router that
 *                          stops cleanly leaves the group at once and does not wait for this at all.
 *                          Must lie within the brokers' {@code group.min.session.timeout.ms} (6 s) and
 *                          {@code group.max.session.timeout.ms} (30 min), else the router cannot join.
 *                          The cost of a short timeout is a rebalance when a router's heartbeat thread
 *                          stalls that long (a stop-the-world pause, a network blip); with standby
 *                          replicas and cooperative rebalancing that moves tasks without restoring them.
 * @param heartbeatInterval {@code router.heartbeat-interval}, default 3 s: consumer
 *                          {@code heartbeat.interval.ms}; must be shorter than the session timeout (Kafka
 *                          advises at most a third of it, so two lost heartbeats are survived)
 * @param adminTimeout      {@code router.admin-timeout}, default 15 s: Kafka Streams' admin client
 *                          {@code default.api.timeout.ms} (Kafka default 60 s), with its
 *                          {@code request.timeout.ms} at the smaller of this and 10 s. During a
 *                          rebalance the group leader looks up the changelogs' end offsets through this
 *                          client; when that lookup cannot finish (a broker just died) the assignor
 *                          stalls for the whole timeout and then assigns anyway, keeping tasks where
 *                          they were and asking for another rebalance. Measured with a broker killed
 *                          shortly before a router: 60 s of the 104-109 s take-over were this wait
 *                          (docs/OPERATIONS.md). Internal-topic checks through the same client retry
 *                          on their own, so a shorter timeout only makes each attempt give up sooner.
 * @param limits            per-user limits and the flush page size ({@link Limits})
 * @param seqBase           {@code router.seq-base}, default 0: added to every seq (a stored entry's seq
 *                          is its input record's offset + 1 + this). Set only when the router starts
 *                          on a copy of {@code chat.user-events} with other partitions
 *                          ({@code pipechat-admin replay --renumber-seqs} prints the value), so that
 *                          the seqs of the copy are above every seq clients saw before
 */
public record RouterConfig(String applicationId, Duration retention, Duration dedupWindow, Duration edgeTimeout,
                           Duration retentionInterval, Duration pushQuietPeriod, int standbyReplicas,
                           Duration commitInterval, Duration sessionTimeout, Duration heartbeatInterval,
                           Duration adminTimeout, Limits limits, long seqBase) {

    public static final String DEFAULT_APPLICATION_ID = "pipechat-router";

    public RouterConfig {
        Objects.requireNonNull(applicationId, "applicationId");
        if (applicationId.isBlank()) {
            throw new IllegalArgumentException("router.application-id must not be blank");
        }
        positive("router.retention", retention);
        positive("router.dedup-window", dedupWindow);
        positive("router.edge-timeout", edgeTimeout);
        positive("router.retention-interval", retentionInterval);
        positive("router.push-quiet-period", pushQuietPeriod);
        positive("router.commit-interval", commitInterval);
        positive("router.session-timeout", sessionTimeout);
        positive("router.heartbeat-interval", heartbeatInterval);
        positive("router.admin-timeout", adminTimeout);
        if (heartbeatInterval.compareTo(sessionTimeout) >= 0) {
            throw new IllegalArgumentException("router.heartbeat-interval (" + heartbeatInterval
                    + ") must be shorter than router.session-timeout (" + sessionTimeout + ")");
        }
        Objects.requireNonNull(limits, "limits");
        if (seqBase < 0) {
            throw new IllegalArgumentException("router.seq-base must be >= 0, not " + seqBase);
        }
        if (standbyReplicas < 0) {
            throw new IllegalArgumentException("router.standby-replicas must be >= 0, not " + standbyReplicas);
        }
    }

    public static RouterConfig defaults() {
        return new RouterConfig(DEFAULT_APPLICATION_ID, Duration.ofDays(30), Duration.ofHours(24),
                Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10), 0, Duration.ofSeconds(1),
                Duration.ofSeconds(10), Duration.ofSeconds(3), Duration.ofSeconds(15), Limits.defaults(), 0);
    }

    /**
     * Reads {@code router.*} keys through {@code lookup} (null = absent), defaulting the rest.
     *
     * @throws IllegalArgumentException naming the key, for a value that cannot be read
     */
    public static RouterConfig from(Function<String, String> lookup) {
        RouterConfig d = defaults();
        return new RouterConfig(
                string(lookup, "router.application-id", d.applicationId()),
                duration(lookup, "router.retention", d.retention()),
                duration(lookup, "router.dedup-window", d.dedupWindow()),
                duration(lookup, "router.edge-timeout", d.edgeTimeout()),
                duration(lookup, "router.retention-interval", d.retentionInterval()),
                duration(lookup, "router.push-quiet-period", d.pushQuietPeriod()),
                integer(lookup, "router.standby-replicas", d.standbyReplicas()),
                duration(lookup, "router.commit-interval", d.commitInterval()),
                duration(lookup, "router.session-timeout", d.sessionTimeout()),
                duration(lookup, "router.heartbeat-interval", d.heartbeatInterval()),
                duration(lookup, "router.admin-timeout", d.adminTimeout()),
                new Limits(
                        integer(lookup, "router.max-devices", d.limits().maxDevices()),
                        integer(lookup, "router.max-mailbox-entries", d.limits().maxMailboxEntries()),
                        integer(lookup, "router.flush-page-entries", d.limits().flushPageEntries()),
                        integer(lookup, "router.flush-page-bytes", d.limits().flushPageBytes())),
                longValue(lookup, "router.seq-base", d.seqBase()));
    }

    public RouterConfig withApplicationId(String id) {
        return new RouterConfig(id, retention, dedupWindow, edgeTimeout, retentionInterval, pushQuietPeriod,
                standbyReplicas, commitInterval, sessionTimeout, heartbeatInterval, adminTimeout, limits, seqBase);
    }

    public RouterConfig withRetention(Duration d) {
        return new RouterConfig(applicationId, d, dedupWindow, edgeTimeout, retentionInterval, pushQuietPeriod,
                standbyReplicas, commitInterval, sessionTimeout, heartbeatInterval, adminTimeout, limits, seqBase);
    }

    public RouterConfig withEdgeTimeout(Duration d) {
        return new RouterConfig(applicationId, retention, dedupWindow, d, retentionInterval, pushQuietPeriod,
                standbyReplicas, commitInterval, sessionTimeout, heartbeatInterval, adminTimeout, limits, seqBase);
    }

    public RouterConfig withCommitInterval(Duration d) {
        return new RouterConfig(applicationId, retention, dedupWindow, edgeTimeout, retentionInterval,
                pushQuietPeriod, standbyReplicas, d, sessionTimeout, heartbeatInterval, adminTimeout, limits, seqBase);
    }

    /** With another session timeout and heartbeat interval (the consumer group's failure detection). */
    public RouterConfig withGroupTimeouts(Duration session, Duration heartbeat) {
        return new RouterConfig(applicationId, retention, dedupWindow, edgeTimeout, retentionInterval,
                pushQuietPeriod, standbyReplicas, commitInterval, session, heartbeat, adminTimeout, limits, seqBase);
    }

    public RouterConfig withLimits(Limits l) {
        return new RouterConfig(applicationId, retention, dedupWindow, edgeTimeout, retentionInterval,
                pushQuietPeriod, standbyReplicas, commitInterval, sessionTimeout, heartbeatInterval, adminTimeout, l, seqBase);
    }

    /**
     * What one user may hold, and how much of a mailbox goes out at once.
     *
     * @param maxDevices        {@code router.max-devices}, default 8: registered devices per user; a
     *                          session of one more is closed with 4403 (PROTOCOL.md)
     * @param maxMailboxEntries {@code router.max-mailbox-entries}, default 50,000: a message for a user
     *                          with this many entries is refused and its sender gets {@code mailbox_full}
     * @param flushPageEntries  {@code router.flush-page-entries}, default 1,000: entries per page of a
     *                          mailbox flush; the next page goes out when the device has acked half
     *                          of this one, so a client that reads slowly holds at most about a page
     *                          in the edge's queue (edge.outbound-queue is 4,096 frames)
     * @param flushPageBytes    {@code router.flush-page-bytes}, default 1 MiB: the same bound in frame
     *                          bytes (edge.outbound-queue-chars is 4 Mi)
     */
    public record Limits(int maxDevices, int maxMailboxEntries, int flushPageEntries, int flushPageBytes) {
        public Limits {
            if (maxDevices < 1 || maxMailboxEntries < 1 || flushPageEntries < 2 || flushPageBytes < 1) {
                throw new IllegalArgumentException("router limits must be positive (flush pages of at least 2): "
                        + maxDevices + ", " + maxMailboxEntries + ", " + flushPageEntries + ", " + flushPageBytes);
            }
        }

        public static Limits defaults() {
            return new Limits(8, 50_000, 1_000, 1 << 20);
        }
    }

    private static String string(Function<String, String> lookup, String key, String fallback) {
        String v = lookup.apply(key);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static Duration duration(Function<String, String> lookup, String key, Duration fallback) {
        String v = lookup.apply(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Durations.parse(v);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + ": not a duration (like 10s, 24h, 30d, PT10S): " + v, e);
        }
    }

    private static long longValue(Function<String, String> lookup, String key, long fallback) {
        String v = lookup.apply(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not an integer: " + v, e);
        }
    }

    private static int integer(Function<String, String> lookup, String key, int fallback) {
        String v = lookup.apply(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not an integer: " + v, e);
        }
    }

    private static void positive(String key, Duration d) {
        Objects.requireNonNull(d, key);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(key + " must be positive, not " + d);
        }
    }
}
