package io.pipechat.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.testing.ChatClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command as a user runs it: {@link LocalMain} in its own process, chat through
 * it, stop it with a signal (as Ctrl-C does), start it again on the same data directory and find
 * the mailbox still there; no process is left behind.
 */
class LocalMainIT {
    private static final Pattern UP = Pattern.compile("pipechat is up in ([0-9.]+) s: (http://\\S+)");

    private record Running(Process process, String url, List<String> output, Thread reader) {
    }

    private static Running start(Path dataDir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), LocalMain.class.getName(),
                "--data-dir", dataDir.toString(), "--port", "0", "--kafka-port", "0")
                .redirectErrorStream(true).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        List<String> output = new ArrayList<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    synchronized (output) {
                        output.add(line);
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline && p.isAlive()) {
            String line = lines.poll(1, TimeUnit.SECONDS);
            Matcher m = line == null ? null : UP.matcher(line);
            if (m != null && m.find()) {
                System.out.println("local stack up in " + m.group(1) + " s");
                return new Running(p, m.group(2), output, reader);
            }
        }
        p.destroyForcibly();
        throw new AssertionError("the stack did not come up:\n" + String.join("\n", output));
    }

    private static void stop(Running r) throws Exception {
        r.process().destroy();
        assertThat(r.process().waitFor(90, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
        r.reader().join(10_000);
        System.out.println("exit " + r.process().exitValue() + "; last lines:");
        synchronized (r.output()) {
            r.output().subList(Math.max(0, r.output().size() - 5), r.output().size()).forEach(System.out::println);
        }
    }

    private static List<String> processesUsing(Path dataDir) throws IOException {
        List<String> found = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = Files.readString(proc.resolve("cmdline")).replace('\0', ' ');
                    if (cmd.contains(dataDir.toString())) {
                        found.add(cmd);
                    }
                } catch (IOException gone) {
                    // the process ended meanwhile
                }
            }
        }
        return found;
    }

    @Test
    void startsChatsStopsAndKeepsTheMailboxAcrossARestart(@TempDir Path dataDir) throws Exception {
        Running first = start(dataDir);
        try (ChatClient alice = ChatClient.connect(first.url(), ChatClient.devToken(first.url(), "alice"), "phone")) {
            alice.next("welcome");
            alice.sendTo("bob", "kept-1", "see you after the restart");
            assertThat(alice.next("sent").get("id").asText()).isEqualTo("kept-1");
        } finally {
            stop(first);
        }
        assertThat(processesUsing(dataDir)).as("nothing left running, MariaDB included").isEmpty();

        Running second = start(dataDir);
        try (ChatClient bob = ChatClient.connect(second.url(), ChatClient.devToken(second.url(), "bob"), "phone")) {
            bob.next("welcome");
            var msg = bob.next("msg");
            assertThat(msg.get("id").asText()).isEqualTo("kept-1");
            assertThat(msg.get("from").asText()).isEqualTo("alice");
        } finally {
            stop(second);
        }
        assertThat(processesUsing(dataDir)).isEmpty();
    }
}
