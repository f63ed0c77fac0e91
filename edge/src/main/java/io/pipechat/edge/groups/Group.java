package io.pipechat.edge.groups;

import java.util.List;

/** A group as the API shows it to its members. */
public record Group(String id, String name, String createdBy, List<Member> members) {

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
}
