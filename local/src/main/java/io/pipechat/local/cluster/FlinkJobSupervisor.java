package io.pipechat.local.cluster;

import io.pipechat.embedded.Directories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one Flink job running on a {@link FlinkCluster} that has no high availability, as a process
 * supervisor (systemd's {@code Restart=always}, compose's {@code restart:}) plus a job keeper would:
 *
 * <ul>
 *   <li>a JobManager or TaskManager process that exited is started again (same config, same ports);</li>
 *   <li>whenever the JobManager answers and has no active job of that name (it restarted and forgot
 *       its jobs, the job failed beyond its restart attempts, or an operator stopped it with a
 *       savepoint), the job jar is uploaded and run through the REST API from the newest restore
 *       point: the newest {@code _metadata} among the retained checkpoints
 *       ({@code checkpoints/<job>/chk-<n>/}) and the savepoints ({@code savepoints/savepoint-*}/).
 *       A restore point the JobManager refuses is skipped the next time.</li>
 *   <li>once the job it submitted has completed a checkpoint, the checkpoint directories of earlier
 *       jobs are deleted (restores are {@code NO_CLAIM}: the new job never reads them again).</li>
 * </ul>
 *
 * <p>Upgrading the job (docs/OPERATIONS.md): put the new jar in place of {@link #jobJar()} (write
 * it beside, then rename), then stop the job with a savepoint ({@code POST /jobs/<id>/stop}); the
 * supervisor runs the new jar from that savepoint, the newest restore point, within a second.
 * While the file {@link #pausedMarker()} exists it submits nothing (for work by hand on the REST API).
 *
 * <p>What it did is in {@link #events()} (and logged), for operators and for the failure tests'
 * recovery times.
 */
public final class FlinkJobSupervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FlinkJobSupervisor.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration RESUBMIT_BACKOFF = Duration.ofSeconds(5);

    /** Something the supervisor did, at {@link System#nanoTime()} {@code nanos}. */
    public record Event(long nanos, String what) {
    }

    private final FlinkCluster cluster;
    private final String jobName;
    private final Path jobJar;
    private final List<String> args;
    private final Path pausedMarker;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final Set<Path> refused = new HashSet<>();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile String currentJob;
    private volatile String prunedFor;
    private long lastSubmit;

    /**
     * @param jobJar       the job jar it submits (read at each submission)
     * @param args         the job's program arguments
     * @param pausedMarker while this file exists, nothing is submitted
     */
    public FlinkJobSupervisor(FlinkCluster cluster, String jobName, Path jobJar, List<String> args, Path pausedMarker) {
        this.cluster = cluster;
        this.jobName = jobName;
        this.jobJar = jobJar;
        this.args = List.copyOf(args);
        this.pausedMarker = pausedMarker;
        this.thread = new Thread(this::run, "flink-job-supervisor");
        this.thread.setDaemon(true);
    }

    public FlinkJobSupervisor start() {
        thread.start();
        return this;
    }

    public Path jobJar() {
        return jobJar;
    }

    public Path pausedMarker() {
        return pausedMarker;
    }

    public List<Event> events() {
        return List.copyOf(events);
    }

    /** The id of the job it submitted last (or found running), null before. */
    public String currentJob() {
        return currentJob;
    }

    /** Waits until a job of that name runs with all its tasks; returns its id. */
    public String awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        FlinkRest rest = cluster.rest();
        while (System.nanoTime() < deadline) {
            try {
                Optional<FlinkRest.Job> job = rest.activeJob(jobName);
                if (job.isPresent() && rest.allTasksRunning(job.get().id())) {
                    return job.get().id();
                }
            } catch (RuntimeException notYet) {
                // JobManager starting, or the job between states
            }
            sleep(250);
        }
        throw new IllegalStateException("job " + jobName + " not running within " + timeout + "; supervisor: " + events()
                + "\n" + cluster.jobManager().tail(30));
    }

    private void run() {
        while (!stopping) {
            try {
                tick();
            } catch (RuntimeException e) {
                LOG.debug("flink supervisor: {}", e.toString());
            }
            sleep(POLL.toMillis());
        }
    }

    private void tick() {
        if (!cluster.jobManager().process().isAlive() && !stopping) {
            record("JobManager exited (" + cluster.jobManager().process().exitValue() + "), starting it again");
            cluster.startJobManager();
        }
        if (!cluster.taskManager().process().isAlive() && !stopping) {
            record("TaskManager exited (" + cluster.taskManager().process().exitValue() + "), starting it again");
            cluster.startTaskManager();
        }
        FlinkRest rest = cluster.rest();
        if (!rest.reachable()) {
            return;
        }
        Optional<FlinkRest.Job> active = rest.activeJob(jobName);
        if (active.isPresent()) {
            if (!active.get().id().equals(currentJob)) {
                currentJob = active.get().id();
            }
            pruneOlderRuns(rest);
            return;
        }
        if (Files.exists(pausedMarker) || System.nanoTime() - lastSubmit < RESUBMIT_BACKOFF.toNanos() && lastSubmit != 0) {
            return;
        }
        submit(rest);
    }

    private void submit(FlinkRest rest) {
        lastSubmit = System.nanoTime();
        Optional<Path> restore = restorePoints().filter(p -> !refused.contains(p)).findFirst();
        try {
            String jar = rest.uploadJar(jobJar);
            try {
                currentJob = rest.run(jar, args, restore.map(p -> p.toUri().toString()));
            } finally {
                rest.deleteJar(jar);
            }
            record("submitted " + jobName + " as job " + currentJob + restore.map(p -> " from " + p).orElse(" without state"));
        } catch (RuntimeException e) {
            restore.ifPresent(refused::add);
            record("submission of " + jobName + restore.map(p -> " from " + p).orElse("") + " failed: " + e.getMessage());
        }
    }

    /** Once the current job has a completed checkpoint, earlier jobs' checkpoints are of no use. */
    private void pruneOlderRuns(FlinkRest rest) {
        String job = currentJob;
        if (job == null || job.equals(prunedFor) || rest.checkpoints(job).completed() == 0) {
            return;
        }
        try (Stream<Path> runs = Files.list(cluster.checkpointsDir())) {
            runs.filter(run -> !run.getFileName().toString().equals(job)).forEach(Directories::deleteRecursively);
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", cluster.checkpointsDir(), e.toString());
        }
        prunedFor = job;
    }

    /** Retained checkpoints and savepoints with a {@code _metadata} file, newest first. */
    Stream<Path> restorePoints() {
        try (Stream<Path> checkpoints = metadata(cluster.checkpointsDir(), 3);
             Stream<Path> savepoints = metadata(cluster.savepointsDir(), 2)) {
            return Stream.concat(checkpoints, savepoints)
                    .sorted(Comparator.comparingLong(FlinkJobSupervisor::modified).reversed())
                    .map(Path::getParent)
                    .toList().stream();
        }
    }

    private static Stream<Path> metadata(Path dir, int depth) {
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        try {
            return Files.find(dir, depth, (p, a) -> a.isRegularFile() && p.getFileName().toString().equals("_metadata"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private void record(String what) {
        events.add(new Event(System.nanoTime(), what));
        LOG.info("flink supervisor: {}", what);
    }

    /** Stops supervising (before the processes are stopped, so that nothing is started again). */
    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(40));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
