package io.pipechat.protocol.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.pipechat.protocol.Media;

/** A record of {@code chat.group-events}, keyed by {@link #group()}. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = GroupEvent.Message.class, name = "message"),
        @JsonSubTypes.Type(value = GroupEvent.Typing.class, name = "typing")})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface GroupEvent {
    int VERSION = 1;

    String group();

    @JsonProperty("v")
    default int v() {
        return VERSION;
    }

    /** A message sent to {@code group} by {@code from}, before expansion to the members. */
    record Message(String group, String from, String id, long ts, String body, Media media) implements GroupEvent {
    }

    /** {@code from} is typing in {@code group}: fanned out to the members online, never stored. */
    record Typing(String group, String from, long ts) implements GroupEvent {
    }
}
