package io.pipechat.assets.client;

/**
 * An encrypted media blob ready for upload.
 *
 * @param id        lowercase hex SHA-256 of {@code blob}: the media id
 * @param blob      the bytes to upload (header and AES-GCM ciphertext, see {@link MediaCrypto})
 * @param key       base64url (no padding) of the 32-byte content secret; goes into {@code media.key}
 * @param size      size of the original plaintext in bytes; goes into {@code media.size}
 * @param compressed whether the plaintext was deflated before encryption
 */
public record SealedMedia(String id, byte[] blob, String key, long size, boolean compressed) {
}
