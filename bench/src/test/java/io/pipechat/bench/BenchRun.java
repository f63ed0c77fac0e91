package io.pipechat.bench;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** One run of the {@code bench} command line in this JVM: its exit code and what it printed to {@code System.out}. */
public record BenchRun(int exitCode, String out) {
    public static BenchRun of(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = new CommandLine(new BenchMain()).execute(args);
        } finally {
            System.setOut(original);
        }
        return new BenchRun(code, captured.toString(StandardCharsets.UTF_8));
    }
}
