package io.pipechat.assets.client;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The media blob format, version 1: optional raw-deflate compression, then AES-256-GCM with a
 * convergent key, so the same file always gives the same blob and the service stores it once
 * without ever seeing plaintext or keys. Uses only primitives WebCrypto has (SHA-256, HKDF,
 * AES-GCM) and CompressionStream("deflate-raw"). Full specification in the module README.
 *
 * <pre>
 * header  = [0x01 (version), c]                       c = 0x00 stored, 0x01 deflate-raw (RFC 1951)
 * body    = c == 1 ? deflateRaw(plaintext) : plaintext
 * secret  = SHA-256(header || body)                   32 bytes; media.key = base64url(secret), no padding
 * okm     = HKDF-SHA256(ikm = secret, salt = empty, info = "pipechat/media/v1", 44 bytes)
 * aesKey  = okm[0..32), nonce = okm[32..44)
 * blob    = header || AES-256-GCM(aesKey, nonce, aad = header, body)   (ciphertext || 16-byte tag)
 * id      = hex(SHA-256(blob))
 * </pre>
 * The key is derived from exactly the bytes it encrypts, so one key never encrypts two different
 * messages and the deterministic nonce is safe even if two clients compress the same file
 * differently (they then produce two different blobs, each correct).
 */
public final class MediaCrypto {
    public static final byte VERSION = 1;
    public static final byte STORED = 0;
    public static final byte DEFLATE_RAW = 1;
    static final byte[] INFO = "pipechat/media/v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int HEADER = 2;
    private static final int TAG = 16;
    private static final HexFormat HEX = HexFormat.of();

    /** Formats whose bytes are already compressed; deflating them again wastes CPU for nothing. */
    static final Set<String> COMPRESSED_TYPES = Set.of(
            "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/heic", "image/heif",
            "image/jxl", "application/zip", "application/gzip", "application/x-gzip", "application/zstd",
            "application/x-7z-compressed", "application/vnd.rar", "application/x-rar-compressed",
            "application/x-bzip2", "application/x-xz", "application/epub+zip", "application/java-archive",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation");

    private MediaCrypto() {
    }

    /** Whether a plaintext of this MIME type is deflated before encryption (if that makes it smaller). */
    public static boolean worthCompressing(String mime) {
        String m = mime == null ? "" : mime.toLowerCase(Locale.ROOT);
        int semi = m.indexOf(';');
        if (semi >= 0) {
            m = m.substring(0, semi);
        }
        m = m.trim();
        if (m.startsWith("video/")) {
            return false;
        }
        if (m.startsWith("audio/")) {
            return m.equals("audio/wav") || m.equals("audio/x-wav") || m.equals("audio/wave");
        }
        return !COMPRESSED_TYPES.contains(m);
    }

    /** Compresses (when worthwhile), encrypts and addresses {@code plaintext}. Deterministic. */
    public static SealedMedia seal(byte[] plaintext, String mime) {
        byte compression = STORED;
        byte[] body = plaintext;
        if (worthCompressing(mime)) {
            byte[] deflated = deflateRaw(plaintext);
            if (deflated.length < plaintext.length) {
                compression = DEFLATE_RAW;
                body = deflated;
            }
        }
        byte[] header = {VERSION, compression};
        byte[] secret = sha256(header, body);
        byte[] blob = new byte[HEADER + body.length + TAG];
        System.arraycopy(header, 0, blob, 0, HEADER);
        try {
            Cipher gcm = cipher(Cipher.ENCRYPT_MODE, secret, header);
            int n = gcm.doFinal(body, 0, body.length, blob, HEADER);
            if (n != body.length + TAG) {
                throw new IllegalStateException("unexpected GCM output length " + n);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return new SealedMedia(HEX.formatHex(sha256(blob)), blob, encodeKey(secret), plaintext.length,
                compression == DEFLATE_RAW);
    }

    /**
     * Verifies and decrypts a downloaded blob: its hash must be {@code id}, it must decrypt under
     * {@code key}, its content must hash to the key, and it must not inflate past
     * {@code maxPlaintext} bytes.
     */
    public static byte[] open(String id, byte[] blob, String key, long maxPlaintext) throws MediaFormatException {
        if (!HEX.formatHex(sha256(blob)).equals(id)) {
            throw new MediaFormatException("the blob does not hash to its id");
        }
        if (blob.length < HEADER + TAG) {
            throw new MediaFormatException("blob too short");
        }
        byte[] header = Arrays.copyOfRange(blob, 0, HEADER);
        if (header[0] != VERSION) {
            throw new MediaFormatException("unknown media format version " + header[0]);
        }
        if (header[1] != STORED && header[1] != DEFLATE_RAW) {
            throw new MediaFormatException("unknown compression " + header[1]);
        }
        byte[] secret = decodeKey(key);
        byte[] body;
        try {
            body = cipher(Cipher.DECRYPT_MODE, secret, header).doFinal(blob, HEADER, blob.length - HEADER);
        } catch (AEADBadTagException e) {
            throw new MediaFormatException("wrong key or corrupted blob", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        if (!MessageDigest.isEqual(sha256(header, body), secret)) {
            throw new MediaFormatException("the content does not match its key");
        }
        return header[1] == DEFLATE_RAW ? inflateRaw(body, maxPlaintext) : checkSize(body, maxPlaintext);
    }

    private static byte[] checkSize(byte[] plaintext, long max) throws MediaFormatException {
        if (plaintext.length > max) {
            throw new MediaFormatException("content larger than " + max + " bytes");
        }
        return plaintext;
    }

    private static Cipher cipher(int mode, byte[] secret, byte[] header) throws GeneralSecurityException {
        byte[] okm = Hkdf.derive(secret, new byte[0], INFO, 44);
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(mode, new SecretKeySpec(okm, 0, 32, "AES"), new GCMParameterSpec(TAG * 8, okm, 32, 12));
        gcm.updateAAD(header);
        return gcm;
    }

    static String encodeKey(byte[] secret) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    static byte[] decodeKey(String key) throws MediaFormatException {
        byte[] secret;
        try {
            secret = Base64.getUrlDecoder().decode(key == null ? "" : key);
        } catch (IllegalArgumentException e) {
            throw new MediaFormatException("the key is not base64url");
        }
        if (secret.length != 32) {
            throw new MediaFormatException("the key must be 32 bytes");
        }
        return secret;
    }

    static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return md.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] deflateRaw(byte[] in) {
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            d.setInput(in);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, in.length / 2));
            byte[] buf = new byte[64 * 1024];
            while (!d.finished()) {
                int n = d.deflate(buf);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    static byte[] inflateRaw(byte[] in, long max) throws MediaFormatException {
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(in);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, in.length * 2));
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    throw new MediaFormatException("truncated deflate stream");
                }
                total += n;
                if (total > max) {
                    throw new MediaFormatException("content larger than " + max + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new MediaFormatException("bad deflate stream", e);
        } finally {
            inf.end();
        }
    }
}
