package io.pipechat.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Data directories of the embedded infrastructure and the one-JVM stack. */
public final class Directories {
    private Directories() {
    }

    /**
     * The data directory of a stack: {@code dir} as an absolute path, emptied first when
     * {@code fresh}, and created; a new temporary directory named {@code tempPrefix...} when
     * {@code dir} is null (the caller deletes it when done).
     */
    public static Path prepare(Path dir, boolean fresh, String tempPrefix) {
        try {
            if (dir == null) {
                return Files.createTempDirectory(tempPrefix);
            }
            Path absolute = dir.toAbsolutePath();
            if (fresh) {
                deleteRecursively(absolute);
            }
            return Files.createDirectories(absolute);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code dir} and everything below it; nothing happens if it does not exist. */
    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
