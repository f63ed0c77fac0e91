package io.pipechat.edge.groups;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Groups in MySQL/MariaDB ({@code chat_groups}, {@code group_members}): the single source of truth
 * for membership. The API writes here and nowhere else; Debezium streams the changes to Kafka,
 * where the group expansion job picks them up.
 *
 * <p>Every change runs in one transaction that first locks the group's row, so concurrent adds
 * cannot push a group past its size limit and a group never loses its last admin while it has
 * members (the longest-standing member is promoted).
 */
public final class GroupStore {
    public static final String ADMIN = "admin";
    public static final String MEMBER = "member";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource db;
    private final int maxMembers;

    public GroupStore(DataSource db, int maxMembers) {
        this.db = db;
        this.maxMembers = maxMembers;
    }

    public int maxMembers() {
        return maxMembers;
    }

    /** Creates a group with {@code creator} as its first admin and the others as members. */
    public Group create(String name, String creator, Collection<String> members) {
        Set<String> all = new LinkedHashSet<>();
        all.add(creator);
        all.addAll(members);
        if (all.size() > maxMembers) {
            throw GroupException.full(maxMembers);
        }
        String id = "g" + HexFormat.of().formatHex(randomBytes(12));
        Timestamp now = Timestamp.from(Instant.now());
        return inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO chat_groups (id, name, created_by, created_at) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, name);
                ps.setString(3, creator);
                ps.setTimestamp(4, now);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO group_members (group_id, user_id, role, added_at) VALUES (?, ?, ?, ?)")) {
                for (String user : all) {
                    ps.setString(1, id);
                    ps.setString(2, user);
                    ps.setString(3, user.equals(creator) ? ADMIN : MEMBER);
                    ps.setTimestamp(4, now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return load(c, id, false).orElseThrow();
        });
    }

    public Optional<Group> find(String id) {
        return inTransaction(c -> load(c, id, false));
    }

    /** The groups {@code user} belongs to, without their member lists. */
    public List<Group> groupsOf(String user) {
        return inTransaction(c -> {
            List<Group> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT g.id, g.name, g.created_by, m.role FROM group_members m
                    JOIN chat_groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY g.created_at, g.id""")) {
                ps.setString(1, user);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Group(rs.getString(1), rs.getString(2), rs.getString(3),
                                List.of(new Group.Member(user, rs.getString(4)))));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Adds {@code user} as a member; {@code by} must be an admin. Adding a member twice is not an
     * error (returns false).
     */
    public boolean addMember(String groupId, String by, String user) {
        return inTransaction(c -> {
            Group g = load(c, groupId, true).orElseThrow(GroupException::notFound);
            if (!g.hasMember(by)) {
                throw GroupException.notFound();
            }
            if (!g.isAdmin(by)) {
                throw GroupException.forbidden("only admins add members");
            }
            if (g.hasMember(user)) {
                return false;
            }
            if (g.members().size() >= maxMembers) {
                throw GroupException.full(maxMembers);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO group_members (group_id, user_id, role, added_at) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, groupId);
                ps.setString(2, user);
                ps.setString(3, MEMBER);
                ps.setTimestamp(4, Timestamp.from(Instant.now()));
                ps.executeUpdate();
            }
            return true;
        });
    }

    /**
     * Removes {@code user}; {@code by} must be an admin or {@code user} itself (leaving). When the
     * last admin leaves, the longest-standing member becomes admin; when the last member leaves,
     * the group is deleted.
     */
    public void removeMember(String groupId, String by, String user) {
        inTransaction(c -> {
            Group g = load(c, groupId, true).orElseThrow(GroupException::notFound);
            if (!g.hasMember(by)) {
                throw GroupException.notFound();
            }
            if (!by.equals(user) && !g.isAdmin(by)) {
                throw GroupException.forbidden("only admins remove others");
            }
            if (!g.hasMember(user)) {
                throw new GroupException(io.helidon.http.Status.NOT_FOUND_404, "not_found", "not a member");
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM group_members WHERE group_id = ? AND user_id = ?")) {
                ps.setString(1, groupId);
                ps.setString(2, user);
                ps.executeUpdate();
            }
            List<Group.Member> rest = g.members().stream().filter(m -> !m.user().equals(user)).toList();
            if (rest.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM chat_groups WHERE id = ?")) {
                    ps.setString(1, groupId);
                    ps.executeUpdate();
                }
            } else if (rest.stream().noneMatch(Group.Member::admin)) {
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?")) {
                    ps.setString(1, ADMIN);
                    ps.setString(2, groupId);
                    ps.setString(3, rest.getFirst().user());
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    /** Members in the order they joined; with {@code lock}, the group row is locked for the transaction. */
    private static Optional<Group> load(Connection c, String id, boolean lock) throws SQLException {
        String name;
        String createdBy;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT name, created_by FROM chat_groups WHERE id = ?" + (lock ? " FOR UPDATE" : ""))) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                name = rs.getString(1);
                createdBy = rs.getString(2);
            }
        }
        List<Group.Member> members = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT user_id, role FROM group_members WHERE group_id = ? ORDER BY added_at, user_id")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    members.add(new Group.Member(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return Optional.of(new Group(id, name, createdBy, List.copyOf(members)));
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(Work<T> work) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("group store: " + e.getMessage(), e);
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
