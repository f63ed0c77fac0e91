package io.pipechat.edge.groups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.http.Status;
import io.pipechat.embedded.EmbeddedMariaDb;
import io.pipechat.embedded.MariaDbExtension;
import io.pipechat.schema.Schema;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mariadb.jdbc.MariaDbDataSource;

/** The quota of groups created per user, on a real MariaDB with a clock the test moves. */
@ExtendWith(MariaDbExtension.class)
class GroupQuotaIT {

    /** A clock that stands still until the test moves it. */
    private static final class TestClock extends Clock {
        private Instant now = Instant.parse("2026-12-01T10:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void aUsersQuotaOfNewGroupsIsRenewed24HoursAfterItsWindowStarted(EmbeddedMariaDb db) throws Exception {
        MariaDbDataSource ds = new MariaDbDataSource(db.jdbcUrl(MariaDbExtension.uniqueDatabase(db)));
        ds.setUser(db.user());
        ds.setPassword(db.password());
        Schema.migrate(ds);
        TestClock clock = new TestClock();
        GroupStore store = new GroupStore(ds, 16, 2, clock);

        store.create("one", "hal", List.of());
        clock.now = clock.now.plus(Duration.ofHours(20));
        Group second = store.create("two", "hal", List.of());
        assertThatThrownBy(() -> store.create("three", "hal", List.of()))
                .isInstanceOfSatisfying(GroupException.class, e -> {
                    assertThat(e.status()).isEqualTo(Status.TOO_MANY_REQUESTS_429);
                    assertThat(e.retryAfter()).isEqualTo(Duration.ofHours(4));
                    assertThat(e.getMessage()).contains("at most 2", "4 h");
                });
        store.delete(second.id(), "hal");
        assertThatThrownBy(() -> store.create("three", "hal", List.of()))
                .as("deleting a group gives no creation back").isInstanceOf(GroupException.class);

        clock.now = clock.now.plus(Duration.ofHours(4));
        store.create("three", "hal", List.of());
        store.create("four", "hal", List.of());
        assertThatThrownBy(() -> store.create("five", "hal", List.of())).isInstanceOf(GroupException.class);
        assertThat(store.groupsOf("hal")).extracting(Group::name).containsExactlyInAnyOrder("one", "three", "four");
    }
}
