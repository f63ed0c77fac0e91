package io.pipechat.assets.store;

import io.pipechat.protocol.Ids;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * {@link BlobStore} on a local filesystem.
 *
 * <p>Layout under the root directory:
 * <pre>
 *   ab/cd/abcd...(64 hex)   a blob, named by its id, sharded by the first two and next two hex digits
 *   .tmp/upload-*.part      uploads in progress (same filesystem, so the final move is a rename)
 * </pre>
 * An upload is hashed while it streams into a fresh temporary file, forced to disk, then renamed
 * atomically into place and the shard directory forced, so a blob is visible completely or not at
 * all, and survives a crash once {@code put} returned. A failed, mismatched or oversize upload
 * deletes its temporary file; leftovers from a crash are removed when the store opens. Moves of the
 * same id are serialized inside this process (a lock striped by id), so of concurrent identical
 * uploads exactly one reports {@link PutOutcome.Created}; across processes sharing the directory
 * the rename still leaves one intact blob.
 */
public final class FileBlobStore implements BlobStore {
    private static final int BUFFER = 256 * 1024;
    private static final int STRIPES = 64;
    private static final HexFormat HEX = HexFormat.of();

    private final Path root;
    private final Path tmp;
    private final Object[] locks = new Object[STRIPES];

    public FileBlobStore(Path root) throws IOException {
        this.root = root.toAbsolutePath();
        this.tmp = this.root.resolve(".tmp");
        Files.createDirectories(tmp);
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp)) {
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
            }
        }
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    public Path root() {
        return root;
    }

    /** Where blob {@code id} lives (whether or not it is stored). */
    public Path pathOf(String id) {
        requireId(id);
        return root.resolve(id.substring(0, 2)).resolve(id.substring(2, 4)).resolve(id);
    }

    @Override
    public OptionalLong size(String id) throws IOException {
        try {
            return OptionalLong.of(Files.size(pathOf(id)));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public PutOutcome put(String id, InputStream content, long maxBytes) throws IOException {
        requireId(id);
        Path part = Files.createTempFile(tmp, "upload-", ".part");
        try {
            MessageDigest sha = sha256();
            long total = 0;
            try (FileChannel out = FileChannel.open(part, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[BUFFER];
                int n;
                while ((n = content.read(buf)) != -1) {
                    total += n;
                    if (total > maxBytes) {
                        return new PutOutcome.TooLarge(maxBytes);
                    }
                    sha.update(buf, 0, n);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                }
                out.force(true);
            }
            String actual = HEX.formatHex(sha.digest());
            if (!actual.equals(id)) {
                return new PutOutcome.Mismatch(actual);
            }
            Path target = pathOf(id);
            Path shard = target.getParent();
            Files.createDirectories(shard);
            synchronized (locks[Math.floorMod(id.hashCode(), STRIPES)]) {
                if (Files.exists(target)) {
                    return new PutOutcome.AlreadyStored(Files.size(target));
                }
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
            }
            forceDirectory(shard);
            return new PutOutcome.Created(total);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    @Override
    public InputStream open(String id, long offset, long length) throws IOException {
        FileChannel ch = FileChannel.open(pathOf(id), StandardOpenOption.READ);
        try {
            ch.position(offset);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new BoundedInputStream(Channels.newInputStream(ch), length);
    }

    /** Number and total size of stored blobs and of temporary files. */
    public record Usage(long blobs, long bytes, long tempFiles) {
    }

    /** Walks the directory tree (for tests, tools and the health check; not on a hot path). */
    public Usage usage() throws IOException {
        long temps = 0;
        long count = 0;
        long bytes = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    if (p.startsWith(tmp)) {
                        temps++;
                    } else {
                        count++;
                        bytes += Files.size(p);
                    }
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return new Usage(count, bytes, temps);
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some filesystems cannot open or sync directories; the rename itself is still atomic.
        }
    }

    private static void requireId(String id) {
        if (!Ids.isMediaId(id)) {
            throw new IllegalArgumentException("not a media id: " + id);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads at most {@code remaining} bytes from a stream, then reports end of stream. */
    private static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long remaining;

        BoundedInputStream(InputStream in, long remaining) {
            this.in = in;
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
