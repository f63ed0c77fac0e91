package io.pipechat.notifier.subscriptions;

import io.pipechat.notifier.push.PushSubscription;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Reads and prunes the {@code push_subscriptions} table (schema module, migration V2). The edge
 * inserts and deletes rows on the user's request; the notifier only reads them and deletes the ones
 * the push service reports gone (404/410). Deleting by id is safe against a concurrent re-subscribe:
 * a re-subscription with the same endpoint is the same dead endpoint, one with a new endpoint is a
 * new row.
 */
public final class SubscriptionStore {
    private final DataSource dataSource;

    public SubscriptionStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The user's subscriptions, oldest first. */
    public List<PushSubscription> forUser(String user) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(
                     "SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = ? ORDER BY id")) {
            s.setString(1, user);
            try (ResultSet rs = s.executeQuery()) {
                List<PushSubscription> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new PushSubscription(rs.getLong(1), user, rs.getString(2), rs.getString(3), rs.getString(4)));
                }
                return out;
            }
        }
    }

    /** @return whether the row existed */
    public boolean delete(long id) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM push_subscriptions WHERE id = ?")) {
            s.setLong(1, id);
            return s.executeUpdate() == 1;
        }
    }
}
