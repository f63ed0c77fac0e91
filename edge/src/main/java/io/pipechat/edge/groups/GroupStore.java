package io.pipechat.edge.groups;

import io.pipechat.protocol.Json;
import io.pipechat.protocol.Media;
import io.pipechat.schema.Schema;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
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
 * for groups and membership. The API writes here and nowhere else; Debezium streams the changes to
 * Kafka, where the group job applies them and turns them into system messages.
 *
 * <p>Every change runs in one transaction that first locks the group's row, so concurrent adds
 * cannot push a group past its size limit and a group never loses its last admin while it has
 * members (the longest-standing member is promoted when the last admin leaves; demoting the last
 * admin is refused). Every write names its author in {@code changed_by} and, on member rows, what
 * it was in {@code last_change}; a member's row is marked that way just before it is deleted, so
 * that the delete's change event still says who removed them and why ({@link Schema}).
 *
 * <p>Rules of who may do what: only members see a group; admins add and remove members, promote
 * and demote admins, change the name, description and icon, and delete the group; anyone may
 * leave; the creator can be neither removed nor demoted by other admins.
 */
public final class GroupStore {
    public static final String ADMIN = Schema.ROLE_ADMIN;
    public static final String MEMBER = Schema.ROLE_MEMBER;
    public static final int MAX_NAME = 255;
    public static final int MAX_DESCRIPTION = 2048;
    /** The quota window of {@code groups.max-created-per-day}. */
    static final Duration QUOTA_WINDOW = Duration.ofHours(24);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource db;
    private final int maxMembers;
    private final int maxCreatedPerDay;
    private final Clock clock;

    /**
     * @param maxMembers       members one group may have
     * @param maxCreatedPerDay groups one user may create in a window of 24 h (from their first
     *                         creation in it); more are refused with 429
     */
    public GroupStore(DataSource db, int maxMembers, int maxCreatedPerDay) {
        this(db, maxMembers, maxCreatedPerDay, Clock.systemUTC());
    }

    GroupStore(DataSource db, int maxMembers, int maxCreatedPerDay, Clock clock) {
        if (maxMembers < 1 || maxCreatedPerDay < 1) {
            throw new IllegalArgumentException("groups.max-members and groups.max-created-per-day must be >= 1");
        }
        this.db = db;
        this.maxMembers = maxMembers;
        this.maxCreatedPerDay = maxCreatedPerDay;
        this.clock = clock;
    }

    public int maxMembers() {
        return maxMembers;
    }

    /**
     * Creates a group with {@code creator} as its first admin and the others as members, if the
     * creator's quota of new groups allows it.
     */
    public Group create(String name, String creator, Collection<String> members) {
        Set<String> all = new LinkedHashSet<>();
        all.add(creator);
        all.addAll(members);
        if (all.size() > maxMembers) {
            throw GroupException.full(maxMembers);
        }
        String id = "g" + HexFormat.of().formatHex(randomBytes(12));
        Instant now = clock.instant();
        return inTransaction(c -> {
            countCreation(c, creator, now);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO chat_groups (id, name, created_by, created_at, changed_by) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, name);
                ps.setString(3, creator);
                ps.setTimestamp(4, Timestamp.from(now));
                ps.setString(5, creator);
                ps.executeUpdate();
            }
            // The creator's row last: the group job reads the rows one by one, in this order, and holds a
            // message from a sender it does not know as a member yet. So the creator's first message, sent
            // as soon as this commits, is expanded only once every member's row has been read, and reaches
            // them all; with the creator first it could reach only those read by then.
            try (PreparedStatement ps = c.prepareStatement(INSERT_MEMBER)) {
                for (String user : all) {
                    if (!user.equals(creator)) {
                        bindMember(ps, id, user, MEMBER, creator, Schema.LAST_CHANGE_CREATED, now);
                        ps.addBatch();
                    }
                }
                bindMember(ps, id, creator, ADMIN, creator, Schema.LAST_CHANGE_CREATED, now);
                ps.addBatch();
                ps.executeBatch();
            }
            return load(c, id, false).orElseThrow();
        });
    }

    /**
     * Counts one more group created by {@code user} in the current window, or refuses with 429 when
     * the quota is used up. The row is created first if missing (a no-op when it exists), so that
     * concurrent creations of one user serialize on its lock instead of racing to insert it.
     */
    private void countCreation(Connection c, String user, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO group_quotas (user_id, window_start, created)"
                + " VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE created = created")) {
            ps.setString(1, user);
            ps.setTimestamp(2, Timestamp.from(now));
            ps.executeUpdate();
        }
        Instant windowStart;
        int created;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT window_start, created FROM group_quotas WHERE user_id = ? FOR UPDATE")) {
            ps.setString(1, user);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                windowStart = rs.getTimestamp(1).toInstant();
                created = rs.getInt(2);
            }
        }
        Instant windowEnd = windowStart.plus(QUOTA_WINDOW);
        if (!now.isBefore(windowEnd)) {
            windowStart = now;
            created = 0;
        } else if (created >= maxCreatedPerDay) {
            throw GroupException.quota(maxCreatedPerDay, Duration.between(now, windowEnd));
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE group_quotas SET window_start = ?, created = ? WHERE user_id = ?")) {
            ps.setTimestamp(1, Timestamp.from(windowStart));
            ps.setInt(2, created + 1);
            ps.setString(3, user);
            ps.executeUpdate();
        }
    }

    public Optional<Group> find(String id) {
        return inTransaction(c -> load(c, id, false));
    }

    /** The groups {@code user} belongs to, with only that user in their member lists. */
    public List<Group> groupsOf(String user) {
        return inTransaction(c -> {
            List<Group> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT g.id, g.name, g.created_by, m.role FROM group_members m
                    JOIN chat_groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY g.created_at, g.id""")) {
                ps.setString(1, user);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Group(rs.getString(1), rs.getString(2), rs.getString(3), null, null,
                                List.of(new Group.Member(user, rs.getString(4)))));
                    }
                }
            }
            return out;
        });
    }

    /**
     * What an admin may change about a group: a field left null is kept; {@code description} and
     * {@code icon} are cleared by {@link #clearDescription} and {@link #clearIcon}.
     */
    public record Info(String name, String description, boolean clearDescription, Media icon, boolean clearIcon) {
    }

    /**
     * Changes the name, description or icon; {@code by} must be an admin. Writes only what differs
     * (nothing at all when nothing does), so each change event names what really changed.
     */
    public Group update(String groupId, String by, Info info) {
        return inTransaction(c -> {
            Group g = admin(c, groupId, by, "only admins change the group's name, description and icon");
            String name = info.name() != null ? info.name() : g.name();
            String description = info.clearDescription() ? null : info.description() != null ? info.description() : g.description();
            Media icon = info.clearIcon() ? null : info.icon() != null ? info.icon() : g.icon();
            if (name.equals(g.name()) && java.util.Objects.equals(description, g.description())
                    && java.util.Objects.equals(icon, g.icon())) {
                return g;
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE chat_groups SET name = ?, description = ?, icon = ?, changed_by = ? WHERE id = ?")) {
                ps.setString(1, name);
                ps.setString(2, description);
                ps.setString(3, icon == null ? null : Json.write(icon));
                ps.setString(4, by);
                ps.setString(5, groupId);
                ps.executeUpdate();
            }
            return load(c, groupId, false).orElseThrow();
        });
    }

    /**
     * Adds {@code user} as a member; {@code by} must be an admin. Adding a member twice is not an
     * error (returns false).
     */
    public boolean addMember(String groupId, String by, String user) {
        return inTransaction(c -> {
            Group g = admin(c, groupId, by, "only admins add members");
            if (g.hasMember(user)) {
                return false;
            }
            if (g.members().size() >= maxMembers) {
                throw GroupException.full(maxMembers);
            }
            try (PreparedStatement ps = c.prepareStatement(INSERT_MEMBER)) {
                bindMember(ps, groupId, user, MEMBER, by, Schema.LAST_CHANGE_MEMBER_ADDED, clock.instant());
                ps.executeUpdate();
            }
            return true;
        });
    }

    /**
     * Makes {@code user} an admin or no longer one; {@code by} must be an admin. The creator cannot
     * be demoted by another admin, and the last admin not at all. Returns false when the role was
     * already so.
     */
    public boolean setAdmin(String groupId, String by, String user, boolean admin) {
        return inTransaction(c -> {
            Group g = admin(c, groupId, by, "only admins promote or demote admins");
            if (!g.hasMember(user)) {
                throw new GroupException(io.helidon.http.Status.NOT_FOUND_404, "not_found", "not a member");
            }
            if (g.isAdmin(user) == admin) {
                return false;
            }
            if (!admin && user.equals(g.createdBy()) && !by.equals(user)) {
                throw GroupException.forbidden("the creator cannot be demoted by other admins");
            }
            if (!admin && g.admins() == 1) {
                throw GroupException.lastAdmin();
            }
            setRole(c, groupId, user, admin ? ADMIN : MEMBER, by);
            return true;
        });
    }

    /**
     * Removes {@code user}; {@code by} must be an admin or {@code user} itself (leaving), and the
     * creator can only leave, not be removed. When the last admin leaves, the longest-standing
     * member becomes admin; when the last member leaves, the group is deleted.
     */
    public void removeMember(String groupId, String by, String user) {
        inTransaction(c -> {
            Group g = load(c, groupId, true).filter(x -> x.hasMember(by)).orElseThrow(GroupException::notFound);
            boolean leaving = by.equals(user);
            if (!leaving && !g.isAdmin(by)) {
                throw GroupException.forbidden("only admins remove others");
            }
            if (!g.hasMember(user)) {
                throw new GroupException(io.helidon.http.Status.NOT_FOUND_404, "not_found", "not a member");
            }
            if (!leaving && user.equals(g.createdBy())) {
                throw GroupException.forbidden("the creator cannot be removed by other admins");
            }
            deleteMembers(c, groupId, user, by, leaving ? Schema.LAST_CHANGE_MEMBER_LEFT : Schema.LAST_CHANGE_MEMBER_REMOVED);
            List<Group.Member> rest = g.members().stream().filter(m -> !m.user().equals(user)).toList();
            if (rest.isEmpty()) {
                deleteGroupRow(c, groupId);
            } else if (rest.stream().noneMatch(Group.Member::admin)) {
                setRole(c, groupId, rest.getFirst().user(), ADMIN, by);
            }
            return null;
        });
    }

    /** Deletes the group with all its members; {@code by} must be an admin. */
    public void delete(String groupId, String by) {
        inTransaction(c -> {
            admin(c, groupId, by, "only admins delete the group");
            deleteMembers(c, groupId, null, by, Schema.LAST_CHANGE_GROUP_DELETED);
            deleteGroupRow(c, groupId);
            return null;
        });
    }

    /** The group, locked, if {@code by} is an admin of it: 404 for non-members, 403 for members. */
    private static Group admin(Connection c, String groupId, String by, String refusal) throws SQLException {
        Group g = load(c, groupId, true).filter(x -> x.hasMember(by)).orElseThrow(GroupException::notFound);
        if (!g.isAdmin(by)) {
            throw GroupException.forbidden(refusal);
        }
        return g;
    }

    private static final String INSERT_MEMBER = "INSERT INTO group_members (group_id, user_id, role, added_at, changed_by,"
            + " last_change) VALUES (?, ?, ?, ?, ?, ?)";

    private static void bindMember(PreparedStatement ps, String groupId, String user, String role, String by,
                                   String change, Instant at) throws SQLException {
        ps.setString(1, groupId);
        ps.setString(2, user);
        ps.setString(3, role);
        ps.setTimestamp(4, Timestamp.from(at));
        ps.setString(5, by);
        ps.setString(6, change);
    }

    private static void setRole(Connection c, String groupId, String user, String role, String by) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE group_members SET role = ?, changed_by = ?, last_change = ? WHERE group_id = ? AND user_id = ?")) {
            ps.setString(1, role);
            ps.setString(2, by);
            ps.setString(3, ADMIN.equals(role) ? Schema.LAST_CHANGE_ADMIN_ADDED : Schema.LAST_CHANGE_ADMIN_REMOVED);
            ps.setString(4, groupId);
            ps.setString(5, user);
            ps.executeUpdate();
        }
    }

    /**
     * Deletes one member's row ({@code user}) or all of them ({@code null}), first marking them with
     * who removes them and why, so that the delete events carry both (see the class comment).
     */
    private static void deleteMembers(Connection c, String groupId, String user, String by, String change)
            throws SQLException {
        String which = user == null ? "" : " AND user_id = ?";
        try (PreparedStatement mark = c.prepareStatement(
                "UPDATE group_members SET changed_by = ?, last_change = ? WHERE group_id = ?" + which);
             PreparedStatement delete = c.prepareStatement("DELETE FROM group_members WHERE group_id = ?" + which)) {
            mark.setString(1, by);
            mark.setString(2, change);
            mark.setString(3, groupId);
            delete.setString(1, groupId);
            if (user != null) {
                mark.setString(4, user);
                delete.setString(2, user);
            }
            mark.executeUpdate();
            delete.executeUpdate();
        }
    }

    /** The group's row; its members' rows must be gone already (cascades never reach the binlog). */
    private static void deleteGroupRow(Connection c, String groupId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM chat_groups WHERE id = ?")) {
            ps.setString(1, groupId);
            ps.executeUpdate();
        }
    }

    /** Members in the order they joined; with {@code lock}, the group row is locked for the transaction. */
    private static Optional<Group> load(Connection c, String id, boolean lock) throws SQLException {
        String name;
        String createdBy;
        String description;
        String icon;
        try (PreparedStatement ps = c.prepareStatement("SELECT name, created_by, description, icon FROM chat_groups"
                + " WHERE id = ?" + (lock ? " FOR UPDATE" : ""))) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                name = rs.getString(1);
                createdBy = rs.getString(2);
                description = rs.getString(3);
                icon = rs.getString(4);
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
        return Optional.of(new Group(id, name, createdBy, description,
                icon == null ? null : Json.read(icon, Media.class), List.copyOf(members)));
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
