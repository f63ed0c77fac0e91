package io.pipechat.edge.groups;

import io.pipechat.protocol.Media;
import java.util.List;

/**
 * A group as the API shows it to its members. {@code description} and {@code icon} are null when
 * not set; members are in the order they joined.
 */
public record Group(String id, String name, String createdBy, String description, Media icon, List<Member> members) {

    public record Member(String user, String role) {
        public boolean admin() {
            return GroupStore.ADMIN.equals(role);
        }
    }

    public boolean hasMember(String user) {
        return members.stream().anyMatch(m -> m.user().equals(user));
    }

    public boolean isAdmin(String user) {
        return members.stream().anyMatch(m -> m.user().equals(user) && m.admin());
    }

    public long admins() {
        return members.stream().filter(Member::admin).count();
    }
}
