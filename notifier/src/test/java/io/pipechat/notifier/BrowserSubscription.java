package io.pipechat.notifier;

import io.pipechat.notifier.webpush.P256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The browser's side of a Web Push subscription, for tests: a P-256 key pair and a 16-byte auth
 * secret made as a browser makes them, and RFC 8291 decryption written here from the RFC with the
 * JDK's primitives only (independent of the Tink code that encrypts), so a decrypted payload proves
 * the encryption. Checked against the RFC's own example in {@link Rfc8291Test}.
 */
record BrowserSubscription(ECPublicKey publicKey, ECPrivateKey privateKey, byte[] authSecret) {

    static BrowserSubscription create() {
        KeyPair pair = P256.generate();
        byte[] auth = new byte[16];
        new SecureRandom().nextBytes(auth);
        return new BrowserSubscription((ECPublicKey) pair.getPublic(), (ECPrivateKey) pair.getPrivate(), auth);
    }

    String p256dh() {
        return P256.base64Url(P256.encode(publicKey));
    }

    String auth() {
        return P256.base64Url(authSecret);
    }

    /** RFC 8291 section 3 and RFC 8188: one aes128gcm body to its plaintext. */
    byte[] decrypt(byte[] body) throws GeneralSecurityException {
        ByteBuffer in = ByteBuffer.wrap(body);
        byte[] salt = new byte[16];
        in.get(salt);
        int recordSize = in.getInt();
        int idLength = in.get() & 0xff;
        if (idLength != 65) {
            throw new GeneralSecurityException("keyid must be the 65-byte sender key, was " + idLength + " bytes");
        }
        byte[] asPublic = new byte[idLength];
        in.get(asPublic);
        byte[] ciphertext = new byte[in.remaining()];
        in.get(ciphertext);
        if (ciphertext.length > recordSize) {
            throw new GeneralSecurityException("more than one record: " + ciphertext.length + " > " + recordSize);
        }

        KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
        ecdh.init(privateKey);
        ecdh.doPhase(P256.publicKey(asPublic), true);
        byte[] ecdhSecret = ecdh.generateSecret();

        byte[] uaPublic = P256.encode(publicKey);
        byte[] keyInfo = concat("WebPush: info\0".getBytes(StandardCharsets.US_ASCII), uaPublic, asPublic);
        byte[] ikm = hkdf(authSecret, ecdhSecret, keyInfo, 32);
        byte[] cek = hkdf(salt, ikm, "Content-Encoding: aes128gcm\0".getBytes(StandardCharsets.US_ASCII), 16);
        byte[] nonce = hkdf(salt, ikm, "Content-Encoding: nonce\0".getBytes(StandardCharsets.US_ASCII), 12);

        Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
        aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(cek, "AES"), new GCMParameterSpec(128, nonce));
        byte[] padded = aes.doFinal(ciphertext);
        int end = padded.length - 1;
        while (end >= 0 && padded[end] == 0) {
            end--;
        }
        if (end < 0 || padded[end] != 2) {
            throw new GeneralSecurityException("the last record must end with delimiter 0x02");
        }
        return Arrays.copyOf(padded, end);
    }

    /** HKDF-SHA-256 (RFC 5869), output of at most 32 bytes: one expand block. */
    static byte[] hkdf(byte[] salt, byte[] ikm, byte[] info, int length) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(salt, "HmacSHA256"));
        byte[] prk = mac.doFinal(ikm);
        mac.init(new SecretKeySpec(prk, "HmacSHA256"));
        mac.update(info);
        mac.update((byte) 1);
        return Arrays.copyOf(mac.doFinal(), length);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer out = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            out.put(p);
        }
        return out.array();
    }
}
