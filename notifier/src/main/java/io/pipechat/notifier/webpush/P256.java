package io.pipechat.notifier.webpush;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * NIST P-256 keys in the byte forms Web Push uses: a public key is the 65-byte uncompressed point
 * ({@code 0x04 || X || Y}, as in a subscription's {@code p256dh} and VAPID's {@code k=}), a private key
 * the 32-byte big-endian scalar; both travel as unpadded base64url.
 */
public final class P256 {
    static final int FIELD_BYTES = 32;
    static final int POINT_BYTES = 1 + 2 * FIELD_BYTES;
    private static final ECParameterSpec SPEC = spec();

    private P256() {
    }

    public static KeyPair generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no P-256", e);
        }
    }

    /** @throws IllegalArgumentException if the bytes are not an uncompressed point on P-256 */
    public static ECPublicKey publicKey(byte[] uncompressed) {
        if (uncompressed.length != POINT_BYTES || uncompressed[0] != 0x04) {
            throw new IllegalArgumentException("a P-256 public key is 65 bytes starting with 0x04, got "
                    + uncompressed.length + " bytes");
        }
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(uncompressed, 1, 1 + FIELD_BYTES));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(uncompressed, 1 + FIELD_BYTES, POINT_BYTES));
        if (!onCurve(x, y)) {
            throw new IllegalArgumentException("the point is not on P-256");
        }
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), SPEC));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a P-256 public key", e);
        }
    }

    /** @throws IllegalArgumentException if the bytes are not a 32-byte scalar in range */
    public static ECPrivateKey privateKey(byte[] scalar) {
        if (scalar.length != FIELD_BYTES) {
            throw new IllegalArgumentException("a P-256 private key is 32 bytes, got " + scalar.length);
        }
        BigInteger s = new BigInteger(1, scalar);
        if (s.signum() == 0 || s.compareTo(SPEC.getOrder()) >= 0) {
            throw new IllegalArgumentException("the P-256 private key is out of range");
        }
        try {
            return (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(s, SPEC));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a P-256 private key", e);
        }
    }

    public static byte[] encode(ECPublicKey key) {
        byte[] out = new byte[POINT_BYTES];
        out[0] = 0x04;
        fixed(key.getW().getAffineX(), out, 1);
        fixed(key.getW().getAffineY(), out, 1 + FIELD_BYTES);
        return out;
    }

    public static byte[] encode(ECPrivateKey key) {
        byte[] out = new byte[FIELD_BYTES];
        fixed(key.getS(), out, 0);
        return out;
    }

    public static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Accepts base64url with or without padding. @throws IllegalArgumentException if not base64url */
    public static byte[] fromBase64Url(String text) {
        return Base64.getUrlDecoder().decode(text.strip());
    }

    private static boolean onCurve(BigInteger x, BigInteger y) {
        BigInteger p = ((java.security.spec.ECFieldFp) SPEC.getCurve().getField()).getP();
        if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
            return false;
        }
        BigInteger rhs = x.pow(3).add(SPEC.getCurve().getA().multiply(x)).add(SPEC.getCurve().getB()).mod(p);
        return y.pow(2).mod(p).equals(rhs);
    }

    private static void fixed(BigInteger value, byte[] out, int offset) {
        byte[] raw = value.toByteArray(); // big-endian, may carry a leading sign byte or be shorter
        int length = Math.min(raw.length, FIELD_BYTES);
        System.arraycopy(raw, raw.length - length, out, offset + FIELD_BYTES - length, length);
    }

    private static ECParameterSpec spec() {
        try {
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(new ECGenParameterSpec("secp256r1"));
            return params.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
