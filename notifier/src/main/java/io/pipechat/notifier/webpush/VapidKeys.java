package io.pipechat.notifier.webpush;

import com.fasterxml.jackson.databind.JsonNode;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application server's VAPID key pair (RFC 8292): P-256, the public key in the form browsers
 * want as {@code applicationServerKey} ({@link #publicKeyBase64Url()}, 65-byte uncompressed point in
 * unpadded base64url). Browser subscriptions are bound to this public key: changing it makes every
 * stored subscription fail with 403 until the browsers subscribe again, so it must stay stable.
 *
 * <p>Key file ({@link #loadOrCreate(Path)}): JSON {@code {"publicKey": "...", "privateKey": "..."}},
 * both unpadded base64url (the private key is the 32-byte scalar), mode 0600 where the file system
 * has POSIX permissions. It is created once, atomically: concurrent first starts agree on one pair.
 */
public record VapidKeys(ECPublicKey publicKey, ECPrivateKey privateKey) {
    private static final Logger LOG = LoggerFactory.getLogger(VapidKeys.class);

    public VapidKeys {
        if (publicKey == null || privateKey == null) {
            throw new IllegalArgumentException("a VAPID key pair needs both keys");
        }
        checkPair(publicKey, privateKey);
    }

    /**
     * From the configured unpadded base64url strings.
     *
     * @throws IllegalArgumentException if either is malformed or they are not one pair
     */
    public static VapidKeys of(String publicKeyBase64Url, String privateKeyBase64Url) {
        return new VapidKeys(P256.publicKey(P256.fromBase64Url(publicKeyBase64Url)),
                P256.privateKey(P256.fromBase64Url(privateKeyBase64Url)));
    }

    public static VapidKeys generate() {
        KeyPair pair = P256.generate();
        return new VapidKeys((ECPublicKey) pair.getPublic(), (ECPrivateKey) pair.getPrivate());
    }

    /**
     * The pair in {@code file}; when the file does not exist, a new pair written there (parent
     * directories created).
     *
     * @throws IllegalArgumentException if the file exists but does not hold a valid pair
     * @throws UncheckedIOException     if the file cannot be read or written
     */
    public static VapidKeys loadOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                return read(file);
            }
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            VapidKeys keys = generate();
            Path tmp = Files.createTempFile(dir, ".vapid", ".tmp");
            try {
                restrict(tmp);
                Files.writeString(tmp, keys.toJson(), StandardCharsets.UTF_8);
                try {
                    Files.createLink(file, tmp); // atomic create-if-absent
                } catch (UnsupportedOperationException e) {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                }
                LOG.info("generated a VAPID key pair in {} (public key {})", file, keys.publicKeyBase64Url());
                return keys;
            } catch (FileAlreadyExistsException e) {
                return read(file); // another process created it first: use its pair
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load or create the VAPID key file " + file, e);
        }
    }

    /** The 65-byte uncompressed public key, unpadded base64url: VAPID's {@code k=} and the browser's applicationServerKey. */
    public String publicKeyBase64Url() {
        return P256.base64Url(P256.encode(publicKey));
    }

    public String privateKeyBase64Url() {
        return P256.base64Url(P256.encode(privateKey));
    }

    @Override
    public String toString() {
        return "VapidKeys[publicKey=" + publicKeyBase64Url() + "]"; // never the private key
    }

    private String toJson() {
        Map<String, String> json = new LinkedHashMap<>();
        json.put("publicKey", publicKeyBase64Url());
        json.put("privateKey", privateKeyBase64Url());
        return Json.write(json) + "\n";
    }

    private static VapidKeys read(Path file) throws IOException {
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("the VAPID key file " + file + " is not JSON", e);
        }
        if (json == null || !json.path("publicKey").isTextual() || !json.path("privateKey").isTextual()) {
            throw new IllegalArgumentException("the VAPID key file " + file + " needs publicKey and privateKey");
        }
        try {
            return of(json.get("publicKey").asText(), json.get("privateKey").asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the VAPID key file " + file + " holds no valid pair: " + e.getMessage(), e);
        }
    }

    private static void restrict(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: keep its defaults
        }
    }

    private static void checkPair(ECPublicKey publicKey, ECPrivateKey privateKey) {
        try {
            byte[] probe = "vapid-key-check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(privateKey);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(publicKey);
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                throw new IllegalArgumentException("the VAPID public key does not belong to the private key");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a usable P-256 key pair", e);
        }
    }
}
