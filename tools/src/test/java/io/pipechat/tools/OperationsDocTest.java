package io.pipechat.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every {@code pipechat-admin ...} command line in docs/OPERATIONS.md parses: the runbook cannot drift from the CLI. */
class OperationsDocTest {

    @Test
    void everyDocumentedCommandLineParses() throws Exception {
        Path doc = root().resolve("docs/OPERATIONS.md");
        List<String> commands = new ArrayList<>();
        for (String line : Files.readAllLines(doc)) {
            int at = line.indexOf("pipechat-admin ");
            String rest = at < 0 ? "" : line.substring(at + "pipechat-admin ".length());
            if (at >= 0 && (rest.startsWith("topics ") || rest.startsWith("replay "))) {
                int end = rest.indexOf('`');
                commands.add(end < 0 ? rest.strip() : rest.substring(0, end).strip());
            }
        }
        assertThat(commands).as("commands found in " + doc).hasSizeGreaterThanOrEqualTo(8);
        for (String command : commands) {
            if (command.contains("...")) {
                continue;
            }
            String[] args = command.split("\\s+");
            CommandLine cli = new CommandLine(new AdminMain());
            try {
                cli.parseArgs(args);
            } catch (CommandLine.ParameterException e) {
                throw new AssertionError("docs/OPERATIONS.md: `pipechat-admin " + command + "` does not parse: " + e.getMessage(), e);
            }
        }
    }

    private static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("docs/OPERATIONS.md"))) {
                return p;
            }
        }
        throw new IllegalStateException("docs/OPERATIONS.md not found");
    }
}
