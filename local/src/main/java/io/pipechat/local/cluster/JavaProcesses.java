package io.pipechat.local.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Runs Java main classes as child JVMs (Kafka brokers, routers, edges, ...) and makes sure none
 * outlives its owner: {@link #close()} asks every child to stop (SIGTERM, so routers leave their
 * group and edges close their sockets), kills what is still running after a grace period with
 * SIGKILL and reaps it; a JVM shutdown hook does the same if the owner never gets to
 * {@code close()} (Ctrl-C on the cluster launcher, a test that times out). {@link Child#kill()} is
 * the {@code kill -9} of failure tests. {@link #survivors()} checks {@code /proc} for children that
 * still exist.
 *
 * <p>Layout: each child's stdout and stderr go to {@code <logDir>/<name>.log} (appended, so a
 * restarted child keeps its history). Children run from the owner's classpath
 * ({@link #currentClasspath()}) with the same {@code java} executable.
 *
 * <p>Thread-safe: children may be started and killed from any thread.
 */
public final class JavaProcesses implements AutoCloseable {
    /** JVM flags every child gets: small heap, quick start, little CPU on a shared machine. */
    public static final List<String> DEFAULT_JVM_FLAGS = defaultJvmFlags();

    /** How long {@link #close()} waits for children to exit after SIGTERM before it kills them. */
    public static final Duration GRACE = Duration.ofSeconds(10);

    /** One child JVM. */
    public record Child(String name, Process process, Path log) {
        public long pid() {
            return process.pid();
        }

        /**
         * True until the process has exited and been reaped: the JDK's reaper collects a child's exit
         * status as soon as it dies, so a {@code /proc/<pid>} after that is another process that got
         * the pid again (long runs on a busy machine), not this one.
         */
        public boolean alive() {
            return process.isAlive() || (Files.exists(Path.of("/proc", Long.toString(pid()))) && !exited());
        }

        private boolean exited() {
            try {
                process.exitValue();
                return true;
            } catch (IllegalThreadStateException running) {
                return false;
            }
        }

        /** SIGKILL, then reaps the process (waits up to 10 s for the kernel to report it dead). */
        public void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** SIGTERM (a clean stop), then SIGKILL if it is still running after {@link #GRACE}; reaps it. */
        public void stop() {
            process.destroy();
            try {
                if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }

        /** The last {@code lines} lines of the child's log, for failure messages. */
        public String tail(int lines) {
            try {
                List<String> all = Files.readAllLines(log);
                return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
            } catch (IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }
    }

    private final Path logDir;
    private final String classpath;
    private final String java;
    private final List<Child> children = new CopyOnWriteArrayList<>();
    private final Thread hook;

    public JavaProcesses(Path logDir) {
        this.logDir = logDir;
        this.classpath = currentClasspath();
        this.java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.hook = new Thread(this::stopAll, "java-processes-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts {@code mainClass} in a new JVM.
     *
     * @param name       log file name and label
     * @param properties system properties ({@code -Dk=v})
     * @param jvmFlags   flags in addition to {@link #DEFAULT_JVM_FLAGS} (later flags win, e.g. {@code -Xmx})
     */
    public Child start(String name, String mainClass, Map<String, String> properties, List<String> jvmFlags,
                       String... args) {
        return start(name, classpath, mainClass, properties, jvmFlags, args);
    }

    /**
     * Starts {@code mainClass} in a new JVM on {@code classpath} instead of the owner's: for engines
     * whose jars must not meet ours (Flink's RocksDB and Kafka Streams' share class names).
     */
    public Child start(String name, String classpath, String mainClass, Map<String, String> properties,
                       List<String> jvmFlags, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(DEFAULT_JVM_FLAGS);
        cmd.addAll(jvmFlags);
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        Path log = logDir.resolve(name + ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            Child child = new Child(name, p, log);
            children.add(child);
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    public List<Child> children() {
        return List.copyOf(children);
    }

    /** Children whose {@code /proc/<pid>} still exists. Empty after {@link #close()}. */
    public List<Child> survivors() {
        return children.stream().filter(Child::alive).toList();
    }

    /** Stops every child: SIGTERM, up to {@link #GRACE} to exit, then SIGKILL; returns when all are gone. */
    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private void stopAll() {
        children.forEach(c -> c.process().destroy());
        try {
            long deadline = System.nanoTime() + GRACE.toNanos();
            for (Child c : children) {
                c.process().waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            children.forEach(c -> c.process().destroyForcibly());
            long reaped = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            for (Child c : children) {
                c.process().waitFor(Math.max(1, reaped - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            children.forEach(c -> c.process().destroyForcibly());
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> defaultJvmFlags() {
        List<String> flags = new ArrayList<>(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData", "-Xshare:auto", "--enable-native-access=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 24) {
            flags.add("--sun-misc-unsafe-memory-access=allow");
        }
        return List.copyOf(flags);
    }

    /**
     * This JVM's classpath as a {@code -cp} value. A Surefire/Failsafe manifest-only booter jar is
     * expanded into the entries of its {@code Class-Path}.
     */
    public static String currentClasspath() {
        String cp = System.getProperty("java.class.path");
        String[] entries = cp.split(File.pathSeparator);
        if (entries.length == 1 && entries[0].endsWith(".jar")) {
            try (JarFile jar = new JarFile(entries[0])) {
                Manifest m = jar.getManifest();
                String classPath = m == null ? null : m.getMainAttributes().getValue("Class-Path");
                if (classPath != null && !classPath.isBlank()) {
                    List<String> files = new ArrayList<>();
                    Path base = Path.of(entries[0]).toAbsolutePath().getParent();
                    for (String url : classPath.trim().split("\\s+")) {
                        files.add(url.startsWith("file:") ? Path.of(URI.create(url)).toString()
                                : base.resolve(url).normalize().toString());
                    }
                    return String.join(File.pathSeparator, files);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cp;
    }
}
