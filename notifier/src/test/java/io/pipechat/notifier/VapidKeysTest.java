package io.pipechat.notifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipechat.notifier.webpush.P256;
import io.pipechat.notifier.webpush.VapidKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VapidKeysTest {
    @TempDir
    Path dir;

    @Test
    void aGeneratedPairIsKeptInTheDataDirectoryAcrossRestarts() throws Exception {
        Path file = dir.resolve("notifier/vapid.json");

        VapidKeys first = VapidKeys.loadOrCreate(file);
        VapidKeys second = VapidKeys.loadOrCreate(file);

        assertThat(second.publicKeyBase64Url()).isEqualTo(first.publicKeyBase64Url());
        assertThat(second.privateKeyBase64Url()).isEqualTo(first.privateKeyBase64Url());
        assertThat(P256.fromBase64Url(first.publicKeyBase64Url())).hasSize(65).startsWith((byte) 4);
        assertThat(first.publicKeyBase64Url()).doesNotContain("=");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(first.toString()).doesNotContain(first.privateKeyBase64Url());
    }

    @Test
    void configuredKeysRoundTripAndMustBeOnePair() {
        VapidKeys a = VapidKeys.generate();
        VapidKeys b = VapidKeys.generate();

        assertThat(VapidKeys.of(a.publicKeyBase64Url(), a.privateKeyBase64Url()).publicKey()).isEqualTo(a.publicKey());
        assertThatThrownBy(() -> VapidKeys.of(a.publicKeyBase64Url(), b.privateKeyBase64Url()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not belong");
        assertThatThrownBy(() -> VapidKeys.of("AAAA", a.privateKeyBase64Url()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65 bytes");
    }

    @Test
    void aBrokenKeyFileIsAClearError() throws Exception {
        Path file = dir.resolve("vapid.json");
        Files.writeString(file, "{\"publicKey\":\"x\"}");

        assertThatThrownBy(() -> VapidKeys.loadOrCreate(file))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs publicKey and privateKey");
    }
}
