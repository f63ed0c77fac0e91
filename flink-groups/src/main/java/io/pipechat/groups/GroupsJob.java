package io.pipechat.groups;

import io.pipechat.groups.expansion.GroupExpander;
import io.pipechat.groups.kafka.GroupEventDeserializer;
import io.pipechat.groups.kafka.UserEventSerializer;
import io.pipechat.groups.changes.ChangeEventDeserializer;
import io.pipechat.groups.changes.GroupChange;
import io.pipechat.groups.types.JsonTypeInfo;
import io.pipechat.protocol.events.GroupEvent;
import io.pipechat.protocol.events.UserEvent;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The group expansion job: group messages and typing, and the changes of groups and their
 * membership, all keyed by group id, into {@link GroupExpander}; its user events (messages, system
 * messages, typing, rejections) into the sink. Sources and sink come in through the
 * constructor so tests and the benchmark run the same graph on in-memory streams;
 * {@link #kafka(GroupsConfig)} wires the real ones:
 *
 * <ul>
 *   <li>{@code chat.group-events}, and the {@code group_members} and {@code chat_groups} CDC topics:
 *       {@link KafkaSource}s,
 *       {@code read_committed}, starting from committed offsets or else the earliest (membership
 *       must be complete; messages accepted before the first start are still expanded). On restore
 *       the offsets come from the checkpoint.</li>
 *   <li>{@code chat.user-events}: {@link KafkaSink} with the configured {@code sink-guarantee}
 *       ({@link GroupsConfig#sinkGuarantee()}, which says why at-least-once is the default):
 *       {@link DeliveryGuarantee#AT_LEAST_ONCE}: each user event is written as it is expanded; a
 *       restart from a checkpoint writes those expanded since the checkpoint again, identical, and
 *       the router drops the copies by (recipient, sender, id).
 *       {@link DeliveryGuarantee#EXACTLY_ONCE}: output becomes visible to {@code read_committed}
 *       consumers when the checkpoint that covers it completes, and a restart from a checkpoint
 *       neither loses nor repeats any.</li>
 * </ul>
 *
 * <p>Event time (see {@link #expand}): membership changes carry their commit time, group messages
 * the wall clock; {@link GroupExpander} rejects a held message only once the membership has been
 * read up to the message's time (or {@code max-hold} passed).
 *
 * <p>Operator ids ({@code .uid}) are part of the checkpoint format: never rename them.
 */
public final class GroupsJob {
    public static final String NAME = "pipechat-flink-groups";

    private final Source<GroupEvent, ?, ?> messages;
    private final Source<GroupChange, ?, ?> membership;
    private final Source<GroupChange, ?, ?> groupInfo;
    private final Sink<UserEvent> sink;
    private final Duration hold;
    private final Duration maxHold;
    private final Duration membershipIdle;
    private final Duration settle;
    private final int maxHeldPerSender;
    private final int maxHeldPerGroup;
    private final Duration typingInterval;
    private final Duration systemMaxAge;

    /**
     * @param hold           see {@link GroupExpander}
     * @param maxHold        see {@link GroupExpander}
     * @param membershipIdle after how long without a change event the membership stream is idle
     *                       (its watermark no longer holds back the job's)
     * @param settle         see {@link GroupExpander}, as are the two bounds of held messages, the
     *                       typing interval and the age limit of system messages
     */
    public GroupsJob(Source<GroupEvent, ?, ?> messages, Source<GroupChange, ?, ?> membership,
                     Source<GroupChange, ?, ?> groupInfo, Sink<UserEvent> sink, Duration hold, Duration maxHold, Duration membershipIdle, Duration settle,
                     int maxHeldPerSender, int maxHeldPerGroup, Duration typingInterval, Duration systemMaxAge) {
        this.messages = messages;
        this.membership = membership;
        this.groupInfo = groupInfo;
        this.sink = sink;
        this.hold = hold;
        this.maxHold = maxHold;
        this.membershipIdle = membershipIdle;
        this.settle = settle;
        this.maxHeldPerSender = maxHeldPerSender;
        this.maxHeldPerGroup = maxHeldPerGroup;
        this.typingInterval = typingInterval;
        this.systemMaxAge = systemMaxAge;
    }

    /**
     * The job on these sources (group events, {@code group_members} changes, {@code chat_groups}
     * changes) and sink with the expansion settings of {@code config}.
     */
    public static GroupsJob of(Source<GroupEvent, ?, ?> messages, Source<GroupChange, ?, ?> membership,
                               Source<GroupChange, ?, ?> groupInfo, Sink<UserEvent> sink, GroupsConfig config) {
        return new GroupsJob(messages, membership, groupInfo, sink, config.hold(), config.maxHold(), config.membershipIdle(),
                config.settle(), config.maxHeldPerSender(), config.maxHeldPerGroup(), config.typingInterval(),
                config.systemMaxAge());
    }

    /** The job on Kafka: the topics, consumer group and sink guarantee of {@code config}. */
    public static GroupsJob kafka(GroupsConfig config) {
        KafkaSource<GroupEvent> messages = source(config, List.of(config.topics().groupEvents()), "-group-events",
                new GroupEventDeserializer());
        KafkaSource<GroupChange> membership = source(config, List.of(config.topics().groupMembersCdc()), "-group-members",
                new ChangeEventDeserializer(ChangeEventDeserializer.Table.GROUP_MEMBERS));
        KafkaSource<GroupChange> groupInfo = source(config, List.of(config.topics().groupsCdc()), "-groups",
                new ChangeEventDeserializer(ChangeEventDeserializer.Table.CHAT_GROUPS));
        return of(messages, membership, groupInfo, sink(config), config);
    }

    /**
     * The sink to {@code chat.user-events} with the configured {@code sink-guarantee}: transactions
     * (and their id prefix and timeout) only when exactly-once; at-least-once flushes at each
     * checkpoint, with the producer's acks=all and idempotence, so nothing acknowledged is lost.
     */
    static KafkaSink<UserEvent> sink(GroupsConfig config) {
        var builder = KafkaSink.<UserEvent>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setRecordSerializer(new UserEventSerializer(config.topics().userEvents()))
                .setDeliveryGuarantee(config.sinkGuarantee());
        if (config.sinkGuarantee() == DeliveryGuarantee.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(config.transactionalIdPrefix())
                    .setProperty("transaction.timeout.ms", Long.toString(config.transactionTimeout().toMillis()));
        }
        return builder.build();
    }

    /** A source of {@code topics}: committed records only, from the group's offsets (else the start). */
    private static <T> KafkaSource<T> source(GroupsConfig config, List<String> topics, String clientIdSuffix,
                                             KafkaRecordDeserializationSchema<T> deserializer) {
        return KafkaSource.<T>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(topics)
                .setGroupId(config.consumerGroup())
                .setClientIdPrefix(config.consumerGroup() + clientIdSuffix)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .setDeserializer(deserializer)
                .build();
    }

    /**
     * The Flink settings the job needs whatever the deployment: exactly-once checkpoints every
     * {@code checkpointInterval}, retained on cancellation (a restart restores from them), a bounded
     * fixed-delay restart strategy, and no Kryo fallback (every type here has a serializer).
     */
    public static Map<String, String> flinkSettings(GroupsConfig config) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("execution.checkpointing.interval", config.checkpointInterval().toMillis() + " ms");
        s.put("execution.checkpointing.mode", "EXACTLY_ONCE");
        s.put("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        s.put("execution.checkpointing.num-retained", "1");
        s.put("restart-strategy.type", "fixed-delay");
        s.put("restart-strategy.fixed-delay.attempts", Integer.toString(config.restartAttempts()));
        s.put("restart-strategy.fixed-delay.delay", config.restartDelay().toMillis() + " ms");
        s.put("pipeline.generic-types", "false");
        s.put("parallelism.default", Integer.toString(config.parallelism()));
        return s;
    }

    /**
     * Sources and expansion, without the sink: the stream of user events the job writes.
     *
     * <p>Event time and watermarks, which decide when {@link GroupExpander} may reject a held message:
     * <ul>
     *   <li>Membership: a change's commit time ({@link GroupChange#committed()}, else the Kafka
     *       record's timestamp, which is later than the commit), watermarks per split (partition),
     *       {@value #COMMIT_CLOCK_SKEW_MS} ms behind the latest commit time read (clock skew between
     *       the database and the edges; the commit log is read in commit order, so a commit time
     *       {@code > t} read means every change committed before {@code t} has been read). Idle after
     *       {@code membershipIdle} without a record (Flink's idleness clock is paused while the source
     *       is back-pressured); a split that has read nothing yet is not idle before that either, so a
     *       (re)started job holds messages until the change stream's backlog has been read. One
     *       source subtask (the topic has one partition; subtasks without a split would emit no
     *       watermark and stall the job).</li>
     *   <li>Messages: the wall clock (processing time of the source's subtask, emitted every
     *       {@code pipeline.auto-watermark-interval}), from an operator after the source, so that no
     *       partition or subtask without data can stall it. Its only role is to let the membership
     *       watermark through (the operator sees the minimum): when the membership stream is idle, the
     *       job's watermark is the wall clock and a held message is rejected after {@code hold}.</li>
     *   <li>Group info ({@code chat_groups}: name, description, icon): the wall clock as well, from an
     *       operator after its source, so that it never holds back the membership watermark it is
     *       merged with; its changes decide no rejection.</li>
     * </ul>
     */
    public DataStream<UserEvent> expand(StreamExecutionEnvironment env) {
        DataStream<GroupEvent> groupMessages = env
                .fromSource(messages, WatermarkStrategy.noWatermarks(), "group-events", JsonTypeInfo.of(GroupEvent.class))
                .uid("group-events-source").name("group-events")
                .assignTimestampsAndWatermarks(WatermarkStrategy.<GroupEvent>forGenerator(c -> new WallClockWatermarks<>())
                        .withTimestampAssigner((m, recordTs) -> eventTime(m)))
                .uid("group-events-clock").name("group-events-clock");
        DataStream<GroupChange> changes = env
                .fromSource(membership, membershipWatermarks(membershipIdle), "group-members-cdc",
                        JsonTypeInfo.of(GroupChange.class))
                .setParallelism(1)
                .uid("group-members-cdc-source").name("group-members-cdc")
                .union(env.fromSource(groupInfo, WatermarkStrategy.noWatermarks(), "chat-groups-cdc",
                                JsonTypeInfo.of(GroupChange.class))
                        .setParallelism(1)
                        .uid("chat-groups-cdc-source").name("chat-groups-cdc")
                        .assignTimestampsAndWatermarks(WatermarkStrategy.<GroupChange>forGenerator(c -> new WallClockWatermarks<>())
                                .withTimestampAssigner(GroupsJob::commitTime))
                        .setParallelism(1)
                        .uid("chat-groups-cdc-clock").name("chat-groups-cdc-clock"));
        return groupMessages.keyBy(GroupEvent::group, Types.STRING)
                .connect(changes.keyBy(GroupChange::group, Types.STRING))
                .process(new GroupExpander(hold, maxHold, settle, maxHeldPerSender, maxHeldPerGroup, typingInterval,
                        systemMaxAge), JsonTypeInfo.of(UserEvent.class))
                .uid("group-expander").name("group-expander");
    }

    /** A group event's time: when the edge accepted it. */
    private static long eventTime(GroupEvent event) {
        return switch (event) {
            case GroupEvent.Message m -> m.ts();
            case GroupEvent.Typing t -> t.ts();
        };
    }

    /** How far the membership watermark trails the latest commit time read. */
    public static final long COMMIT_CLOCK_SKEW_MS = 1000;

    static WatermarkStrategy<GroupChange> membershipWatermarks(Duration idle) {
        return WatermarkStrategy.<GroupChange>forBoundedOutOfOrderness(Duration.ofMillis(COMMIT_CLOCK_SKEW_MS))
                .withTimestampAssigner(GroupsJob::commitTime)
                .withIdleness(idle);
    }

    /** A change's event time: its commit time, else the Kafka record's (later than the commit). */
    private static long commitTime(GroupChange change, long recordTs) {
        return change.committed() != GroupChange.UNKNOWN ? change.committed() : recordTs;
    }

    /** Watermark = the wall clock, whatever the events. */
    static final class WallClockWatermarks<T> implements WatermarkGenerator<T> {
        @Override
        public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            output.emitWatermark(new Watermark(System.currentTimeMillis()));
        }
    }

    /** The whole graph: {@link #expand} into the sink. */
    public void build(StreamExecutionEnvironment env) {
        expand(env).sinkTo(sink).uid("user-events-sink").name("user-events");
    }

    public JobExecutionResult execute(StreamExecutionEnvironment env) throws Exception {
        build(env);
        return env.execute(NAME);
    }
}
