package io.pipechat.notifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pipechat.notifier.push.PushSubscription;
import io.pipechat.notifier.webpush.P256;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import org.junit.jupiter.api.Test;

/** The test's decryption follows RFC 8291 (its Appendix A example), and the notifier's encryption matches it. */
class Rfc8291Test {

    @Test
    void testDecryptionReadsTheRfcExample() throws GeneralSecurityException {
        ECPublicKey uaPublic = P256.publicKey(P256.fromBase64Url(
                "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"));
        ECPrivateKey uaPrivate = P256.privateKey(P256.fromBase64Url("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"));
        byte[] auth = P256.fromBase64Url("BTBZMqHH6r4Tts7J_aSIgg");
        byte[] body = P256.fromBase64Url("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6"
                + "e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN");

        byte[] plaintext = new BrowserSubscription(uaPublic, uaPrivate, auth).decrypt(body);

        assertThat(new String(plaintext, StandardCharsets.UTF_8)).isEqualTo("When I grow up, I want to be a watermelon");
    }

    @Test
    void notifierEncryptionDecryptsInTheBrowser() throws GeneralSecurityException {
        BrowserSubscription browser = BrowserSubscription.create();
        byte[] payload = "{\"type\":\"messages_waiting\",\"pending\":3}".getBytes(StandardCharsets.UTF_8);

        byte[] body = io.pipechat.notifier.webpush.WebPushSenderAccess.encrypt(
                new PushSubscription(1, "alice", "https://push.example/x", browser.p256dh(), browser.auth()), payload);

        assertThat(browser.decrypt(body)).isEqualTo(payload);
        assertThat(body.length).as("header 86 bytes + payload + delimiter + tag 16").isEqualTo(86 + payload.length + 1 + 16);
    }

    @Test
    void anotherBrowsersKeysCannotDecrypt() throws GeneralSecurityException {
        BrowserSubscription browser = BrowserSubscription.create();
        byte[] body = io.pipechat.notifier.webpush.WebPushSenderAccess.encrypt(
                new PushSubscription(1, "alice", "https://push.example/x", browser.p256dh(), browser.auth()),
                "secret".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> BrowserSubscription.create().decrypt(body)).isInstanceOf(GeneralSecurityException.class);
    }
}
