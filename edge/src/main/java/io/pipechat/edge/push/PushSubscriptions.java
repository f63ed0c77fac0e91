package io.pipechat.edge.push;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Web Push subscriptions in MySQL/MariaDB ({@code push_subscriptions}), where the notifier reads
 * them. An endpoint belongs to one browser and to the user who registered it: registering it again
 * (after a key rotation) replaces that user's keys, but another user cannot take it over (they
 * would get the first user's notifications' wake-ups, or silence them); the first user removes it
 * first. A user keeps at most {@link #MAX_PER_USER} subscriptions; the oldest go first.
 */
public final class PushSubscriptions {
    public static final int MAX_PER_USER = 20;

    private final DataSource db;

    public PushSubscriptions(DataSource db) {
        this.db = db;
    }

    /** Registers or renews the subscription; false (nothing changed) if another user holds the endpoint. */
    public boolean register(String user, String endpoint, String p256dh, String auth) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES (?, ?, ?, ?)
                    ON DUPLICATE KEY UPDATE p256dh = VALUES(p256dh), auth = VALUES(auth),
                    created_at = CURRENT_TIMESTAMP(3)""")) {
                ps.setString(1, user);
                ps.setString(2, endpoint);
                ps.setString(3, p256dh);
                ps.setString(4, auth);
                ps.executeUpdate();
            }
            // The row is locked by the statement above: its owner cannot change before the commit.
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT user_id FROM push_subscriptions WHERE endpoint_sha256 = UNHEX(SHA2(?, 256))")) {
                ps.setString(1, endpoint);
                try (var rs = ps.executeQuery()) {
                    if (rs.next() && !rs.getString(1).equals(user)) {
                        c.rollback();
                        return false;
                    }
                }
            }
            // Keep the newest MAX_PER_USER (the derived table lets MySQL read the table it deletes from).
            try (PreparedStatement ps = c.prepareStatement("""
                    DELETE FROM push_subscriptions WHERE user_id = ? AND id NOT IN (
                      SELECT id FROM (SELECT id FROM push_subscriptions WHERE user_id = ?
                                      ORDER BY created_at DESC, id DESC LIMIT ?) AS newest)""")) {
                ps.setString(1, user);
                ps.setString(2, user);
                ps.setInt(3, MAX_PER_USER);
                ps.executeUpdate();
            }
            c.commit();
            return true;
        } catch (SQLException e) {
            throw new IllegalStateException("push subscriptions: " + e.getMessage(), e);
        }
    }

    /** Removes {@code user}'s subscription with this endpoint; false if there was none. */
    public boolean remove(String user, String endpoint) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint_sha256 = UNHEX(SHA2(?, 256))")) {
            ps.setString(1, user);
            ps.setString(2, endpoint);
            return ps.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new IllegalStateException("push subscriptions: " + e.getMessage(), e);
        }
    }

    public int count(String user) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM push_subscriptions WHERE user_id = ?")) {
            ps.setString(1, user);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("push subscriptions: " + e.getMessage(), e);
        }
    }
}
