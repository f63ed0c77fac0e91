package io.pipechat.groups;

import io.pipechat.protocol.Topics;
import io.pipechat.protocol.Durations;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * Configuration of the group expansion job. {@link #defaults()} runs against the embedded stack;
 * {@link #from(Map)} reads the flat keys below (all optional), e.g. from a Helidon config node
 * {@code groups} or from {@code key=value} program arguments.
 *
 * @param bootstrapServers      {@code bootstrap-servers}, default {@code localhost:9092}
 * @param topics                {@code topics.group-events}, {@code topics.group-members-cdc},
 *                              {@code topics.user-events}, ... (see {@link Topics#from(Map)})
 * @param consumerGroup         {@code consumer-group}: Kafka group id the sources commit offsets
 *                              under (for monitoring; state restores from checkpoints), default
 *                              {@code pipechat-flink-groups}
 * @param transactionalIdPrefix {@code transactional-id-prefix} of the sink when exactly-once,
 *                              default {@code pipechat-flink-groups}; unique per job on one Kafka
 *                              cluster
 * @param hold                  {@code hold}: how long a message from a not-yet-member waits for
 *                              the membership change at least before {@code not_member}, default
 *                              5 s; after that it is rejected once the membership stream has been
 *                              read up to the message's time (or is idle)
 * @param maxHold               {@code max-hold}: how long such a message waits at most, whatever
 *                              the membership stream's progress (a dead CDC pipeline), default 2 min
 * @param membershipIdle        {@code membership-idle}: after how long without a change event the
 *                              membership stream counts as caught up (idle), so that it no longer
 *                              holds back the rejection of non-members' messages, default 10 s
 *                              (a non-member waits about that long after the last change read)
 * @param settle                {@code settle}: how long held messages wait after their sender
 *                              joined, for the group's other new members to arrive, default 500 ms
 * @param checkpointInterval    {@code checkpoint-interval}, default 1 s; with an exactly-once sink
 *                              also the latency of the output to {@code read_committed} consumers
 * @param transactionTimeout    {@code transaction-timeout} of the sink's Kafka transactions when
 *                              exactly-once, default 10 min (the broker allows at most 15 min by
 *                              default)
 * @param parallelism           {@code parallelism}, default 1
 * @param restartAttempts       {@code restart-attempts} (fixed-delay strategy), default 10
 * @param restartDelay          {@code restart-delay}, default 2 s
 * @param maxHeldPerSender      {@code max-held-per-sender}: how many messages of one sender one
 *                              group holds at most while waiting for the sender's membership,
 *                              default 64; more are refused at once ({@code not_member})
 * @param maxHeldPerGroup       {@code max-held-per-group}: how many messages one group holds at
 *                              most, default 1024 (so a flood from non-members costs bounded state;
 *                              it never delays the members' messages)
 * @param sinkGuarantee         {@code sink-guarantee}: {@code at-least-once} (default) or
 *                              {@code exactly-once}. At-least-once writes each user event as soon
 *                              as it is expanded, without a Kafka transaction: group messages are
 *                              not held back until the next checkpoint, and no open transaction of
 *                              this job holds back the last stable offset of the
 *                              {@code chat.user-events} partitions, which would delay the direct
 *                              messages that the router reads {@code read_committed} from the same
 *                              partitions. The price: a restart from a checkpoint writes the user
 *                              events expanded since that checkpoint again, identical (same
 *                              recipient, sender and client message id); the router drops them
 *                              with its de-duplication by (recipient, sender, id) within
 *                              {@code router.dedup-window} (24 h by default, far longer than a
 *                              restart). Exactly-once makes output visible only when the
 *                              checkpoint covering it completes, and repeats nothing.
 * @param typingInterval        {@code typing-interval}: how often one member's typing in one group
 *                              is fanned out at most, default 2 s (the web client sends it every
 *                              2.5 s while typing; more is dropped, as typing from non-members)
 * @param systemMaxAge          {@code system-max-age}: a change of a group older than this (since
 *                              its commit) when the job reads it is applied without system
 *                              messages, default 1 h: a job started without state reads the whole
 *                              compacted change topic, which is history. Keep it below the router's
 *                              {@code router.dedup-window} (24 h), which drops the copies a re-read
 *                              change makes
 */
public record GroupsConfig(String bootstrapServers, Topics topics, String consumerGroup, String transactionalIdPrefix,
                           Duration hold, Duration maxHold, Duration membershipIdle, Duration settle,
                           Duration checkpointInterval, Duration transactionTimeout, int parallelism,
                           int restartAttempts, Duration restartDelay, int maxHeldPerSender, int maxHeldPerGroup,
                           DeliveryGuarantee sinkGuarantee, Duration typingInterval, Duration systemMaxAge) {

    public GroupsConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(consumerGroup, "consumerGroup");
        Objects.requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
        if (sinkGuarantee != DeliveryGuarantee.AT_LEAST_ONCE && sinkGuarantee != DeliveryGuarantee.EXACTLY_ONCE) {
            throw new IllegalArgumentException("sink-guarantee must be at-least-once or exactly-once: " + sinkGuarantee);
        }
        if (hold.isNegative() || settle.isNegative() || checkpointInterval.isNegative() || checkpointInterval.isZero()) {
            throw new IllegalArgumentException("hold and settle must be >= 0 and checkpoint-interval > 0");
        }
        if (maxHold.compareTo(hold) < 0 || membershipIdle.isNegative() || membershipIdle.isZero()) {
            throw new IllegalArgumentException("max-hold must be >= hold and membership-idle > 0");
        }
        if (sinkGuarantee == DeliveryGuarantee.EXACTLY_ONCE && transactionTimeout.compareTo(checkpointInterval) <= 0) {
            throw new IllegalArgumentException("transaction-timeout must be longer than checkpoint-interval");
        }
        if (maxHeldPerSender < 1 || maxHeldPerGroup < maxHeldPerSender) {
            throw new IllegalArgumentException("max-held-per-sender must be >= 1 and max-held-per-group not below it");
        }
        if (typingInterval.isNegative() || systemMaxAge.isNegative()) {
            throw new IllegalArgumentException("typing-interval and system-max-age must not be negative");
        }
        if (parallelism < 1 || restartAttempts < 0) {
            throw new IllegalArgumentException("parallelism must be >= 1 and restart-attempts >= 0");
        }
    }

    public static GroupsConfig defaults() {
        return new GroupsConfig("localhost:9092", Topics.defaults(), "pipechat-flink-groups", "pipechat-flink-groups",
                Duration.ofSeconds(5), Duration.ofMinutes(2), Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMinutes(10), 1, 10, Duration.ofSeconds(2), 64, 1024,
                DeliveryGuarantee.AT_LEAST_ONCE, Duration.ofSeconds(2), Duration.ofHours(1));
    }

    /** Reads the keys listed on the class; missing keys keep their defaults. */
    public static GroupsConfig from(Map<String, String> values) {
        GroupsConfig d = defaults();
        Map<String, String> topicNames = new HashMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith("topics.")) {
                topicNames.put(k.substring("topics.".length()), v);
            }
        });
        return new GroupsConfig(
                values.getOrDefault("bootstrap-servers", d.bootstrapServers()),
                Topics.from(topicNames),
                values.getOrDefault("consumer-group", d.consumerGroup()),
                values.getOrDefault("transactional-id-prefix", d.transactionalIdPrefix()),
                duration(values, "hold", d.hold()),
                duration(values, "max-hold", d.maxHold()),
                duration(values, "membership-idle", d.membershipIdle()),
                duration(values, "settle", d.settle()),
                duration(values, "checkpoint-interval", d.checkpointInterval()),
                duration(values, "transaction-timeout", d.transactionTimeout()),
                integer(values, "parallelism", d.parallelism()),
                integer(values, "restart-attempts", d.restartAttempts()),
                duration(values, "restart-delay", d.restartDelay()),
                integer(values, "max-held-per-sender", d.maxHeldPerSender()),
                integer(values, "max-held-per-group", d.maxHeldPerGroup()),
                guarantee(values, "sink-guarantee", d.sinkGuarantee()),
                duration(values, "typing-interval", d.typingInterval()),
                duration(values, "system-max-age", d.systemMaxAge()));
    }

    public GroupsConfig withBootstrapServers(String servers) {
        return new GroupsConfig(servers, topics, consumerGroup, transactionalIdPrefix, hold, maxHold, membershipIdle, settle, checkpointInterval,
                transactionTimeout, parallelism, restartAttempts, restartDelay, maxHeldPerSender, maxHeldPerGroup, sinkGuarantee, typingInterval, systemMaxAge);
    }

    public GroupsConfig withTopics(Topics names) {
        return new GroupsConfig(bootstrapServers, names, consumerGroup, transactionalIdPrefix, hold, maxHold, membershipIdle, settle,
                checkpointInterval, transactionTimeout, parallelism, restartAttempts, restartDelay, maxHeldPerSender, maxHeldPerGroup, sinkGuarantee, typingInterval, systemMaxAge);
    }

    /** {@code hold}, and {@code max-hold} raised to it if it was below. */
    public GroupsConfig withHold(Duration value) {
        Duration max = maxHold.compareTo(value) < 0 ? value : maxHold;
        return new GroupsConfig(bootstrapServers, topics, consumerGroup, transactionalIdPrefix, value, max, membershipIdle, settle,
                checkpointInterval, transactionTimeout, parallelism, restartAttempts, restartDelay, maxHeldPerSender, maxHeldPerGroup, sinkGuarantee, typingInterval, systemMaxAge);
    }

    /** {@code hold}, {@code max-hold} and {@code membership-idle}. */
    public GroupsConfig withHold(Duration value, Duration maxValue, Duration idle) {
        return new GroupsConfig(bootstrapServers, topics, consumerGroup, transactionalIdPrefix, value, maxValue, idle, settle,
                checkpointInterval, transactionTimeout, parallelism, restartAttempts, restartDelay, maxHeldPerSender, maxHeldPerGroup, sinkGuarantee, typingInterval, systemMaxAge);
    }

    public GroupsConfig withSettle(Duration value) {
        return new GroupsConfig(bootstrapServers, topics, consumerGroup, transactionalIdPrefix, hold, maxHold, membershipIdle, value,
                checkpointInterval, transactionTimeout, parallelism, restartAttempts, restartDelay, maxHeldPerSender, maxHeldPerGroup, sinkGuarantee, typingInterval, systemMaxAge);
    }

    public GroupsConfig withCheckpointInterval(Duration value) {
        return new GroupsConfig(bootstrapServers, topics, consumerGroup, transactionalIdPrefix, hold, maxHold, membershipIdle, settle, value,
                transactionTimeout, parallelism, restartAttempts, restartDelay, maxHeldPerSender, maxHeldPerGroup, sinkGuarantee, typingInterval, systemMaxAge);
    }

    public GroupsConfig withParallelism(int value) {
        return new GroupsConfig(bootstrapServers, topics, consumerGroup, transactionalIdPrefix, hold, maxHold, membershipIdle, settle,
                checkpointInterval, transactionTimeout, value, restartAttempts, restartDelay, maxHeldPerSender, maxHeldPerGroup, sinkGuarantee, typingInterval, systemMaxAge);
    }

    public GroupsConfig withIds(String group, String transactionalPrefix) {
        return new GroupsConfig(bootstrapServers, topics, group, transactionalPrefix, hold, maxHold, membershipIdle, settle, checkpointInterval,
                transactionTimeout, parallelism, restartAttempts, restartDelay, maxHeldPerSender, maxHeldPerGroup, sinkGuarantee, typingInterval, systemMaxAge);
    }

    /** The project's duration syntax ({@link Durations}): {@code 1500ms}, {@code 5s}, {@code 10min}, {@code PT5S}, or milliseconds. */
    private static Duration duration(Map<String, String> values, String key, Duration fallback) {
        String v = values.get(key);
        try {
            return v == null ? fallback : Durations.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    /** {@code at-least-once} or {@code exactly-once}. */
    private static DeliveryGuarantee guarantee(Map<String, String> values, String key, DeliveryGuarantee fallback) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "at-least-once" -> DeliveryGuarantee.AT_LEAST_ONCE;
            case "exactly-once" -> DeliveryGuarantee.EXACTLY_ONCE;
            default -> throw new IllegalArgumentException(key + ": at-least-once or exactly-once, not " + v);
        };
    }

    public GroupsConfig withSinkGuarantee(DeliveryGuarantee value) {
        return new GroupsConfig(bootstrapServers, topics, consumerGroup, transactionalIdPrefix, hold, maxHold, membershipIdle, settle,
                checkpointInterval, transactionTimeout, parallelism, restartAttempts, restartDelay, maxHeldPerSender, maxHeldPerGroup,
                value, typingInterval, systemMaxAge);
    }

    private static int integer(Map<String, String> values, String key, int fallback) {
        String v = values.get(key);
        try {
            return v == null ? fallback : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not an integer: " + v, e);
        }
    }
}
