package io.pipechat.assets.store;

import java.io.IOException;
import java.io.InputStream;
import java.util.OptionalLong;

/**
 * Immutable, content-addressed blobs. A blob's id is the lowercase hex SHA-256 of its bytes; a blob
 * is either completely visible under its id or not at all (never partially). Blobs are never
 * modified once stored; storing the same id twice keeps the first copy.
 *
 * <p>Implementations are safe for concurrent use: concurrent {@link #put} calls of the same content
 * all succeed and leave exactly one blob.
 */
public interface BlobStore {

    /** The size of blob {@code id}, or empty if it is not stored. */
    OptionalLong size(String id) throws IOException;

    /**
     * Streams {@code content} into the store under {@code id}, hashing as it goes, and makes it
     * visible only if the SHA-256 of the bytes equals {@code id} and there are at most
     * {@code maxBytes} of them. Never holds the whole content in memory. Reads {@code content} to
     * its end unless the limit is exceeded, in which case it stops reading at once.
     */
    PutOutcome put(String id, InputStream content, long maxBytes) throws IOException;

    /**
     * Opens {@code length} bytes of blob {@code id} starting at {@code offset}.
     *
     * @throws java.nio.file.NoSuchFileException if the blob is not stored
     */
    InputStream open(String id, long offset, long length) throws IOException;
}
