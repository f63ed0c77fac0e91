package io.pipechat.assets.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MediaCryptoTest {
    private static final HexFormat HEX = HexFormat.of();

    static byte[] text(int lines) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            sb.append("line ").append(i).append(": the quick brown fox jumps over the lazy dog\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void hkdfMatchesRfc5869TestCase1() {
        byte[] ikm = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
        byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");
        assertThat(HEX.formatHex(Hkdf.derive(ikm, salt, info, 42))).isEqualTo(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void hkdfWithEmptySaltMatchesRfc5869TestCase3() {
        byte[] ikm = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        assertThat(HEX.formatHex(Hkdf.derive(ikm, new byte[0], new byte[0], 42))).isEqualTo(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    }

    /**
     * Known answers of format v1. The WebCrypto sketch in the module README, run in Node 20
     * (WebCrypto, CompressionStream "deflate-raw"), produces exactly these ids and keys.
     */
    @Test
    void formatV1KnownAnswersMatchTheWebCryptoImplementation() {
        byte[] text = "hello pipechat media, hello pipechat media, hello pipechat media\n".repeat(50)
                .getBytes(StandardCharsets.UTF_8);
        SealedMedia deflated = MediaCrypto.seal(text, "text/plain");
        assertThat(deflated.id()).isEqualTo("1770b660a67291f3228e768ac5f11fcf6bc22aab8aaffe633f70def9d088038d");
        assertThat(deflated.key()).isEqualTo("dGiqj61IK9RmZ78L0UtAzabkepECQzBQRcq7zF-twJ0");
        assertThat(deflated.blob()).hasSize(77);
        SealedMedia stored = MediaCrypto.seal(text, "image/jpeg");
        assertThat(stored.id()).isEqualTo("b452169b783085cbaac5c4badc4de93b80d6fc5330dea6842e5a5e7e182a57d0");
        assertThat(stored.key()).isEqualTo("0nVwRxD1zS4eFFWHmP1O1Si0WthGgaIHUNmnwn9pMfo");
        assertThat(stored.blob()).hasSize(2 + text.length + 16);
    }

    @Test
    void sealThenOpenGivesBackThePlaintext() throws Exception {
        byte[] plain = text(2_000);
        SealedMedia sealed = MediaCrypto.seal(plain, "text/plain");

        assertThat(sealed.compressed()).isTrue();
        assertThat(sealed.blob().length).isLessThan(plain.length);
        assertThat(sealed.blob()[0]).isEqualTo(MediaCrypto.VERSION);
        assertThat(sealed.blob()[1]).isEqualTo(MediaCrypto.DEFLATE_RAW);
        assertThat(sealed.size()).isEqualTo(plain.length);
        assertThat(sealed.id()).matches("[0-9a-f]{64}");
        assertThat(MediaCrypto.open(sealed.id(), sealed.blob(), sealed.key(), plain.length)).isEqualTo(plain);
    }

    @Test
    void alreadyCompressedTypesAndIncompressibleDataAreStoredUncompressed() throws Exception {
        byte[] jpeg = text(500);
        SealedMedia asJpeg = MediaCrypto.seal(jpeg, "image/jpeg");
        assertThat(asJpeg.compressed()).isFalse();
        assertThat(asJpeg.blob()).hasSize(2 + jpeg.length + 16);
        assertThat(MediaCrypto.open(asJpeg.id(), asJpeg.blob(), asJpeg.key(), jpeg.length)).isEqualTo(jpeg);

        byte[] noise = random(10_000, 1);
        SealedMedia asDoc = MediaCrypto.seal(noise, "application/octet-stream");
        assertThat(asDoc.compressed()).isFalse();
        assertThat(MediaCrypto.open(asDoc.id(), asDoc.blob(), asDoc.key(), noise.length)).isEqualTo(noise);

        assertThat(MediaCrypto.worthCompressing("video/mp4")).isFalse();
        assertThat(MediaCrypto.worthCompressing("audio/ogg; codecs=opus")).isFalse();
        assertThat(MediaCrypto.worthCompressing("audio/wav")).isTrue();
        assertThat(MediaCrypto.worthCompressing("application/pdf")).isTrue();
    }

    @Test
    void theSameFileAlwaysGivesTheSameBlobAndIdAndDifferentFilesDoNot() {
        byte[] file = text(300);
        SealedMedia a = MediaCrypto.seal(file, "text/plain");
        SealedMedia b = MediaCrypto.seal(file.clone(), "text/plain");
        assertThat(b.id()).isEqualTo(a.id());
        assertThat(b.key()).isEqualTo(a.key());
        assertThat(b.blob()).isEqualTo(a.blob());

        byte[] other = file.clone();
        other[0] ^= 1;
        SealedMedia c = MediaCrypto.seal(other, "text/plain");
        assertThat(c.id()).isNotEqualTo(a.id());
        assertThat(c.key()).isNotEqualTo(a.key());
    }

    @Test
    void theBlobDoesNotContainThePlaintext() {
        byte[] file = "attack at dawn, attack at dawn, attack at dawn".getBytes(StandardCharsets.UTF_8);
        SealedMedia sealed = MediaCrypto.seal(file, "image/png");
        assertThat(new String(sealed.blob(), StandardCharsets.ISO_8859_1)).doesNotContain("attack");
    }

    @Test
    void tamperedBlobsWrongKeysAndSubstitutedIdsAreRefused() {
        byte[] file = text(100);
        SealedMedia sealed = MediaCrypto.seal(file, "text/plain");

        byte[] tampered = sealed.blob().clone();
        tampered[tampered.length / 2] ^= 1;
        assertThatThrownBy(() -> MediaCrypto.open(sealed.id(), tampered, sealed.key(), 1 << 20))
                .isInstanceOf(MediaFormatException.class).hasMessageContaining("hash to its id");
        // an attacker who also swaps the id still fails GCM authentication
        assertThatThrownBy(() -> MediaCrypto.open(HEX.formatHex(MediaCrypto.sha256(tampered)), tampered,
                sealed.key(), 1 << 20)).isInstanceOf(MediaFormatException.class).hasMessageContaining("wrong key");

        SealedMedia other = MediaCrypto.seal(text(101), "text/plain");
        assertThatThrownBy(() -> MediaCrypto.open(sealed.id(), sealed.blob(), other.key(), 1 << 20))
                .isInstanceOf(MediaFormatException.class);
        assertThatThrownBy(() -> MediaCrypto.open(sealed.id(), sealed.blob(), "not base64!", 1 << 20))
                .isInstanceOf(MediaFormatException.class);
    }

    @Test
    void inflationPastTheExpectedSizeIsRefused() {
        byte[] zeros = new byte[1_000_000];
        SealedMedia sealed = MediaCrypto.seal(zeros, "text/plain");
        assertThat(sealed.blob().length).isLessThan(10_000);
        assertThatThrownBy(() -> MediaCrypto.open(sealed.id(), sealed.blob(), sealed.key(), 999_999))
                .isInstanceOf(MediaFormatException.class).hasMessageContaining("larger than");
    }

    @Test
    void emptyFilesRoundTrip() throws Exception {
        SealedMedia sealed = MediaCrypto.seal(new byte[0], "text/plain");
        assertThat(MediaCrypto.open(sealed.id(), sealed.blob(), sealed.key(), 0)).isEmpty();
    }
}
