package io.pipechat.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void environmentNamesAreUpperCaseWithUnderscores() {
        assertThat(Settings.environmentName("notifier.db.pool-size")).isEqualTo("NOTIFIER_DB_POOL_SIZE");
    }

    @Test
    void aSystemPropertyIsRead() {
        System.setProperty("pipechat.settings-test.key", "value");
        try {
            assertThat(Settings.get("pipechat.settings-test.key")).isEqualTo("value");
        } finally {
            System.clearProperty("pipechat.settings-test.key");
        }
        assertThat(Settings.get("pipechat.settings-test.key")).isNull();
    }

    @Test
    void httpPortIsTheDefaultOffAFreeOneOrAPort() {
        assertThat(Settings.httpPort("cdc.http-port", null, 9402)).isEqualTo(9402);
        assertThat(Settings.httpPort("cdc.http-port", " ", 9402)).isEqualTo(9402);
        assertThat(Settings.httpPort("cdc.http-port", "0", 9402)).isZero();
        assertThat(Settings.httpPort("cdc.http-port", " 9500 ", 9402)).isEqualTo(9500);
        assertThat(Settings.httpPort("cdc.http-port", "-5", 9402)).isEqualTo(-1);
        assertThatThrownBy(() -> Settings.httpPort("cdc.http-port", "http", 9402)).hasMessageContaining("cdc.http-port must be a number");
        assertThatThrownBy(() -> Settings.httpPort("cdc.http-port", "70000", 9402)).hasMessageContaining("cdc.http-port");
    }
}
