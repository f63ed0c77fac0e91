package io.pipechat.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a system message says: the {@code system} object of a {@code msg} (PROTOCOL.md, "System
 * messages"), a change of a group or of its membership as the group job read it from the
 * database's change stream. {@code event} names the change; {@code by} is who made it (absent when
 * unknown); the other fields are those of the event:
 *
 * <ul>
 *   <li>{@value #CREATED}: {@code by} created the group with this member in it (one per member);</li>
 *   <li>{@value #MEMBER_ADDED}, {@value #MEMBER_REMOVED}: {@code by} added or removed {@code user};
 *       {@value #MEMBER_LEFT}: {@code user} left;</li>
 *   <li>{@value #ADMIN_ADDED}, {@value #ADMIN_REMOVED}: {@code by} made {@code user} an admin, or
 *       no longer one;</li>
 *   <li>{@value #RENAMED} ({@code name}), {@value #DESCRIPTION_CHANGED} ({@code description}, absent
 *       when cleared), {@value #ICON_CHANGED} ({@code icon}, a media object, absent when removed);</li>
 *   <li>{@value #GROUP_DELETED}: {@code by} deleted the group (one to each member).</li>
 * </ul>
 * Clients show the events they know and skip the others: new events may be added.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SystemEvent(String event, String by, String user, String name, String description, Media icon) {
    public static final String CREATED = "created";
    public static final String MEMBER_ADDED = "member_added";
    public static final String MEMBER_REMOVED = "member_removed";
    public static final String MEMBER_LEFT = "member_left";
    public static final String ADMIN_ADDED = "admin_added";
    public static final String ADMIN_REMOVED = "admin_removed";
    public static final String RENAMED = "renamed";
    public static final String DESCRIPTION_CHANGED = "description_changed";
    public static final String ICON_CHANGED = "icon_changed";
    public static final String GROUP_DELETED = "group_deleted";

    /** An event about a member: {@code user}, changed by {@code by}. */
    public static SystemEvent member(String event, String by, String user) {
        return new SystemEvent(event, by, user, null, null, null);
    }
}
