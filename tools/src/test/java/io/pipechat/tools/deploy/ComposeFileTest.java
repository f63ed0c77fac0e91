package io.pipechat.tools.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.helidon.config.EnvironmentVariables;
import io.pipechat.protocol.Json;
import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Checks docker-compose.yml against the code, statically (scripts/compose-test.sh boots it): every
 * service has an image or a build; health checks exist where something waits for them; every
 * environment variable set for a pipechat service maps to a configuration key that service reads
 * ({@link #READERS}: the keys of each Main, cross-checked against the module's source when the module
 * is in this checkout); the topology agrees with itself (edge partitions, --edges, nginx upstreams,
 * replication, standby replicas, KRaft cluster id).
 *
 * <p>The file uses YAML anchors and merge keys; Jackson's YAML parser does not resolve those, so the
 * file is loaded with the SnakeYAML engine that jackson-dataformat-yaml ships, and the result is
 * checked as a Jackson tree. Where Debian's docker-compose is installed, {@code docker-compose config}
 * must accept the file and its fully resolved output (read with Jackson YAML) passes the same checks.
 */
@SuppressWarnings("removal") // Helidon 4.5 marks EnvironmentVariables for removal; it is still what Config.create() uses.
class ComposeFileTest {
    static final Path ROOT = findRoot();

    /** How a service maps environment variables to its configuration keys. */
    enum Style {
        /** System property, else the key upper-cased with . and - as _ (RouterMain, CdcMain, NotifierMain). */
        UPPER_UNDERSCORE,
        /** Helidon config: _ is ., _dash_ is - (edge, assets); checked with Helidon's own alias expansion. */
        HELIDON,
        /** The variable name itself is read (pipechat-admin's ${env:KAFKA_BOOTSTRAP_SERVERS}). */
        LITERAL
    }

    /** What one module's Main reads. */
    record ConfigReader(String mainClass, Style style, Set<String> keys) {
    }

    /** The table: module -> main class and the keys it reads (from the Main classes and their config records). */
    static final Map<String, ConfigReader> READERS = Map.of(
            "streams-router", new ConfigReader("io.pipechat.router.RouterMain", Style.UPPER_UNDERSCORE, Set.of(
                    "kafka.bootstrap-servers", "router.state-dir", "router.application-id", "router.retention",
                    "router.dedup-window", "router.edge-timeout", "router.retention-interval", "router.push-quiet-period",
                    "router.standby-replicas", "router.commit-interval", "router.http-port",
                    "topics.user-events", "topics.group-events", "topics.deliveries", "topics.edges", "topics.push",
                    "topics.group-members-cdc")),
            "cdc", new ConfigReader("io.pipechat.cdc.CdcMain", Style.UPPER_UNDERSCORE, Set.of(
                    "cdc.connector", "cdc.db.host", "cdc.db.port", "cdc.db.user", "cdc.db.password", "cdc.db.database",
                    "cdc.db.server-id", "cdc.kafka.bootstrap-servers", "cdc.name", "cdc.topic-prefix", "cdc.offsets-topic",
                    "cdc.history-topic", "cdc.partitions", "cdc.replication-factor", "cdc.offset-flush-ms",
                    "cdc.poll-interval-ms", "cdc.migrate", "cdc.http-port", "cdc.http-host")),
            "notifier", new ConfigReader("io.pipechat.notifier.NotifierMain", Style.UPPER_UNDERSCORE, Set.of(
                    "notifier.bootstrap-servers", "notifier.topic", "notifier.group-id", "notifier.db.url",
                    "notifier.db.user", "notifier.db.password", "notifier.db.pool-size", "notifier.vapid.public-key",
                    "notifier.vapid.private-key", "notifier.data-dir", "notifier.vapid.subject", "notifier.concurrency",
                    "notifier.max-in-flight-requests", "notifier.retry.max-attempts", "notifier.retry.initial-backoff",
                    "notifier.retry.max-backoff", "notifier.request-timeout", "notifier.ttl", "notifier.shutdown-grace",
                    "notifier.http-port", "notifier.allow-http-endpoints", "notifier.push.allowed-hosts",
                    "notifier.push.allow-loopback")),
            "edge", new ConfigReader("io.pipechat.edge.Main", Style.HELIDON, Set.of(
                    "server.host", "server.port", "server.idle-connection-timeout", "kafka.bootstrap-servers",
                    "topics.user-events", "topics.group-events", "topics.deliveries", "topics.edges",
                    "edge.partition", "edge.dev-mode", "edge.max-frame-bytes", "edge.heartbeat-interval",
                    "edge.outbound-queue", "edge.rate.frames-per-second", "edge.rate.burst", "edge.token.secret",
                    "edge.token.dev-ttl", "db.url", "db.user", "db.password", "db.pool-size", "groups.max-members",
                    "push.vapid-public-key")),
            "assets", new ConfigReader("io.pipechat.assets.Main", Style.HELIDON, Set.of(
                    "assets.host", "assets.port", "assets.store.dir", "assets.max-bytes", "assets.hot.requests",
                    "assets.hot.window", "assets.hot.cache-bytes", "assets.token.secret", "assets.dev-mode")),
            "tools", new ConfigReader("io.pipechat.tools.AdminMain", Style.LITERAL, Set.of("KAFKA_BOOTSTRAP_SERVERS")));

    /** Services with an ObserveServer: the variable of their health/metrics port, which their health check must use. */
    static final Map<String, String> HEALTH_PORTS = Map.of("streams-router", "ROUTER_HTTP_PORT", "notifier",
            "NOTIFIER_HTTP_PORT", "cdc", "CDC_HTTP_PORT");

    /** GroupsJobMain's key=value arguments ({@code flink.*} passes through to Flink). */
    static final Set<String> GROUPS_JOB_KEYS = Set.of("bootstrap-servers", "consumer-group", "transactional-id-prefix",
            "hold", "settle", "checkpoint-interval", "transaction-timeout", "parallelism", "restart-attempts", "restart-delay");

    /** Placeholder secrets for {@code docker-compose config} (every {@code ${VAR:?}} must be set). */
    static final Path VALIDATION_ENV = ROOT.resolve("deploy/compose-validation.env");

    @Test
    void composeFilePassesEveryCheck() throws IOException {
        JsonNode compose = loadWithAnchors(ROOT.resolve("docker-compose.yml"));
        checkAll(compose);
        checkSecrets(compose);
    }

    @Test
    void dockerComposeAcceptsTheFileAndItsResolvedFormPassesTheSameChecks() throws Exception {
        String tool = onPath("docker-compose");
        if (tool == null) {
            String ci = System.getenv("CI");
            if (ci != null && !ci.isBlank()) {
                fail("docker-compose is not installed but CI is set (apt-get install -y docker-compose)");
            }
            assumeTrue(false, "docker-compose not installed; skipped outside CI");
        }
        // --profile monitoring: Compose v2 leaves services of inactive profiles out of `config`.
        Process quiet = new ProcessBuilder(tool, "--env-file", VALIDATION_ENV.toString(), "--profile", "monitoring",
                "-f", ROOT.resolve("docker-compose.yml").toString(), "config", "-q")
                .redirectErrorStream(true).start();
        String quietOut = new String(quiet.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(quiet.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(quiet.exitValue()).as(quietOut).isZero();

        Process full = new ProcessBuilder(tool, "--env-file", VALIDATION_ENV.toString(), "--profile", "monitoring",
                "-f", ROOT.resolve("docker-compose.yml").toString(), "config")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String resolved = new String(full.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(full.waitFor(60, TimeUnit.SECONDS)).isTrue();
        JsonNode tree = new YAMLMapper().readTree(resolved);
        checkAll(tree);
        assertThat(names(tree.get("services"))).isEqualTo(names(loadWithAnchors(ROOT.resolve("docker-compose.yml")).get("services")));
    }

    /**
     * CI boots the compose file on deploy/ci/Dockerfile's images (scripts/compose-test.sh); its targets for
     * our own images must run them as the Dockerfile does: same build args, environment, user, working
     * directory, entry point and destinations of what is copied in.
     */
    @Test
    void theCiDockerfileBuildsOurImagesAsTheDockerfileDoes() throws IOException {
        Map<String, List<String>> main = runtimeLines(ROOT.resolve("Dockerfile"));
        Map<String, List<String>> ci = runtimeLines(ROOT.resolve("deploy/ci/Dockerfile"));
        for (String target : List.of("service", "flink-job")) {
            assertThat(main.get(target)).as("Dockerfile target %s", target).isNotEmpty();
            assertThat(ci.get(target)).as("deploy/ci/Dockerfile target %s, compared with the Dockerfile's", target)
                    .isEqualTo(main.get(target));
        }
    }

    /** Per stage: its ARG, ENV, USER, WORKDIR and ENTRYPOINT lines, and "COPY -> destination" of each COPY. */
    static Map<String, List<String>> runtimeLines(Path dockerfile) throws IOException {
        Map<String, List<String>> stages = new java.util.HashMap<>();
        List<String> current = new java.util.ArrayList<>();
        String joined = Files.readString(dockerfile).replaceAll("\\\\\n", " ");
        for (String line : joined.split("\n")) {
            String l = line.strip().replaceAll("\\s+", " ");
            Matcher from = Pattern.compile("^FROM \\S+ AS (\\S+)$").matcher(l);
            if (from.matches()) {
                current = new java.util.ArrayList<>();
                stages.put(from.group(1), current);
            } else if (l.matches("^(ARG|ENV|USER|WORKDIR|ENTRYPOINT) .*")) {
                current.add(l);
            } else if (l.startsWith("COPY ")) {
                String[] words = l.split(" ");
                current.add("COPY -> " + words[words.length - 1]);
            }
        }
        return stages;
    }

    @Test
    void theTableMatchesTheSourceOfEveryModuleInThisCheckout() throws IOException {
        List<String> absent = new ArrayList<>();
        for (Map.Entry<String, ConfigReader> e : READERS.entrySet()) {
            Path module = ROOT.resolve(e.getKey());
            if (!Files.isDirectory(module.resolve("src/main/java"))) {
                absent.add(e.getKey());
                continue;
            }
            Path main = module.resolve("src/main/java/" + e.getValue().mainClass().replace('.', '/') + ".java");
            assertThat(main).as("main class of " + e.getKey()).isRegularFile();
            String source = moduleText(module);
            for (String key : e.getValue().keys()) {
                assertThat(readsKey(source, key, e.getValue().style())).as("%s reads %s", e.getKey(), key).isTrue();
            }
        }
        String groups = moduleText(ROOT.resolve("flink-groups"));
        for (String key : GROUPS_JOB_KEYS) {
            assertThat(groups).as("GroupsConfig reads %s", key).contains("\"" + key + "\"");
        }
        String ci = System.getenv("CI");
        if (!absent.isEmpty() && ci != null && !ci.isBlank()) {
            fail("modules of docker-compose.yml missing from the checkout: " + absent);
        }
        assumeTrue(absent.isEmpty(), "not in this checkout (checked after the merge): " + absent);
    }

    @Test
    void helidonNeedsDashForHyphenatedKeys() {
        // The trap the edge's environment avoids: KAFKA_BOOTSTRAP_SERVERS is kafka.bootstrap.servers to Helidon.
        assertThat(EnvironmentVariables.expand(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:9092"))).doesNotContainKey("kafka.bootstrap-servers");
        assertThat(EnvironmentVariables.expand(Map.of("KAFKA_BOOTSTRAP_dash_SERVERS", "k:9092"))).containsKey("kafka.bootstrap-servers");
        assertThat(EnvironmentVariables.expand(Map.of("ASSETS_STORE_DIR", "/d"))).containsKey("assets.store.dir");
    }

    @Test
    void theChecksCatchBrokenFiles() throws IOException {
        JsonNode good = loadWithAnchors(ROOT.resolve("docker-compose.yml"));
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("edge-1").get("environment"))
                .put("KAFKA_BOOTSTRAP_SERVERS", "x:9092"), "KAFKA_BOOTSTRAP_SERVERS");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("router-2").get("environment"))
                .put("ROUTER_STANBY_REPLICAS", "1"), "ROUTER_STANBY_REPLICAS");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("assets")).remove("healthcheck"), "assets");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("cdc").get("environment"))
                .put("CDC_HTTP_PORT", "9499"), "cdc");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("edge-1").get("environment"))
                .put("EDGE_PARTITION", "0"), "EDGE_PARTITION");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("mysql")).remove("image"), "mysql");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("router-2"))
                .put("stop_grace_period", "10s"), "router-2");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("notifier")).remove("stop_grace_period"),
                "notifier");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("cdc").get("environment"))
                .put("CDC_PARTITIONS", "12"), "CDC_PARTITIONS");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("edge-1"))
                .put("image", "pipechat/edge:latest"), "edge-1");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("mysql"))
                .put("image", "mysql:8"), "mysql");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("edge-1").get("environment"))
                .remove("PUSH_VAPID_dash_PUBLIC_dash_KEY"), "VAPID");
        assertFailsWith(good, s -> ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("nginx").get("depends_on"))
                .putObject("grafana").put("condition", "service_healthy"), "grafana");
    }

    @Test
    void theSecretChecksCatchFallbackValues() throws IOException {
        JsonNode good = loadWithAnchors(ROOT.resolve("docker-compose.yml"));
        JsonNode copy = good.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) copy.get("services").get("assets").get("environment"))
                .put("ASSETS_TOKEN_SECRET", "${PIPECHAT_TOKEN_SECRET:-change-me-this-is-not-a-secret-0123456789}");
        try {
            checkSecrets(copy);
        } catch (AssertionError e) {
            assertThat(e.getMessage()).contains("ASSETS_TOKEN_SECRET");
            return;
        }
        fail("a public fallback secret passed the checks");
    }

    @Test
    void nginxCachesOnlyCompleteAndPartialAnswers() throws IOException {
        checkNginxCache(Files.readString(ROOT.resolve("deploy/nginx.conf")));
        try {
            checkNginxCache("proxy_cache_valid 200 206 30d;\n proxy_cache_valid 404 10s;");
        } catch (AssertionError e) {
            return;
        }
        fail("a cached 404 passed the check");
    }

    private static void assertFailsWith(JsonNode good, java.util.function.Consumer<JsonNode> breakIt, String mentioned) {
        JsonNode copy = good.deepCopy();
        breakIt.accept(copy.get("services"));
        try {
            checkAll(copy);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (AssertionError e) {
            assertThat(e.getMessage()).contains(mentioned);
            return;
        }
        fail("a broken compose file passed the checks (" + mentioned + ")");
    }

    // ---- the checks ----

    static void checkAll(JsonNode compose) throws IOException {
        JsonNode services = compose.get("services");
        assertThat(services).as("services").isNotNull();
        Set<String> stages = dockerfileStages();
        for (Map.Entry<String, JsonNode> s : services.properties()) {
            String name = s.getKey();
            JsonNode svc = s.getValue();
            assertThat(svc.hasNonNull("image") || svc.hasNonNull("build")).as("%s has an image or a build", name).isTrue();
            if (svc.has("build")) {
                checkBuild(name, svc, stages);
            }
            for (Map.Entry<String, JsonNode> dep : dependsOn(svc).entrySet()) {
                JsonNode target = services.get(dep.getKey());
                assertThat(target).as("%s depends on a service that exists: %s", name, dep.getKey()).isNotNull();
                JsonNode condition = dep.getValue();
                if ("service_healthy".equals(condition.asText())) {
                    assertThat(target.path("healthcheck").has("test")).as("%s waits for %s to be healthy: it needs a healthcheck",
                            name, dep.getKey()).isTrue();
                }
                // A service of a profile (monitoring) is absent from a plain `up`: nothing outside it may wait for it.
                if (target.has("profiles")) {
                    assertThat(svc.path("profiles")).as("%s depends on %s, which runs only with profiles %s", name,
                            dep.getKey(), target.get("profiles")).isEqualTo(target.get("profiles"));
                }
                if ("service_completed_successfully".equals(condition.asText())) {
                    assertThat(target.path("restart").asText("no")).as("%s runs once: restart no", dep.getKey()).isEqualTo("no");
                }
            }
            for (JsonNode v : svc.path("volumes")) {
                String spec = v.isTextual() ? v.asText() : v.path("source").asText();
                if (spec.startsWith("./") || spec.startsWith("/")) {
                    String host = spec.split(":")[0];
                    Path p = host.startsWith("/") ? Path.of(host) : ROOT.resolve(host);
                    assertThat(p).as("%s mounts %s", name, host).exists();
                }
            }
        }
        assertThat(services.path("nginx").path("healthcheck").has("test")).as("nginx has a healthcheck").isTrue();
        checkTopology(services);
        checkOperations(services);
        checkNginxCache(Files.readString(ROOT.resolve("deploy/nginx.conf")));
    }

    /** Routers need time for a final commit and leaving their group; Docker's default (10 s) is too short. */
    static final int ROUTER_STOP_GRACE_SECONDS = 40;
    static final int STOP_GRACE_SECONDS = 20;
    /** A pinned tag names a full version (4.2.0, 8.4.6, 1.27.5-alpine, 25.0.1_8-jdk), not latest or 8. */
    private static final Pattern PINNED_TAG = Pattern.compile("[^:/]+(/[^:]+)*:[^:]*\\d+\\.\\d+\\.\\d+[^:]*");

    private static void checkOperations(JsonNode services) throws IOException {
        for (Map.Entry<String, JsonNode> s : services.properties()) {
            String name = s.getKey();
            JsonNode svc = s.getValue();
            String image = svc.path("image").asText("");
            assertThat(image).as("%s: image pinned to a version", name).matches(PINNED_TAG).doesNotEndWith(":latest");
            if (!svc.path("restart").asText("no").equals("no")) {
                boolean router = svc.path("build").path("args").path("MODULE").asText().equals("streams-router");
                assertThat(seconds(svc.path("stop_grace_period").asText("10s")))
                        .as("%s: stop_grace_period", name)
                        .isGreaterThanOrEqualTo(router ? ROUTER_STOP_GRACE_SECONDS : STOP_GRACE_SECONDS);
            }
        }
        Matcher from = Pattern.compile("(?m)^ARG \\w+_IMAGE=(\\S+)").matcher(Files.readString(ROOT.resolve("Dockerfile")));
        while (from.find()) {
            assertThat(from.group(1)).as("Dockerfile base image pinned").matches(PINNED_TAG);
        }
        assertThat(services.path("cdc").path("environment").path("CDC_PARTITIONS").asText())
                .as("cdc CDC_PARTITIONS: the flink-groups job needs the membership changes in one partition").isEqualTo("1");
        String vapid = services.path("notifier").path("environment").path("NOTIFIER_VAPID_PUBLIC_KEY").asText("");
        assertThat(vapid).as("the notifier's VAPID public key is configured").isNotBlank();
        for (Map.Entry<String, JsonNode> s : services.properties()) {
            if (s.getValue().path("build").path("args").path("MODULE").asText().equals("edge")) {
                assertThat(s.getValue().path("environment").path("PUSH_VAPID_dash_PUBLIC_dash_KEY").asText(""))
                        .as("%s gets the notifier's VAPID public key", s.getKey()).isEqualTo(vapid);
            }
        }
    }

    /** Every secret comes from ${VAR:?message}: no public fallback value; .env.example names each variable. */
    static void checkSecrets(JsonNode compose) throws IOException {
        Pattern secretName = Pattern.compile("(?i).*(SECRET|PASSWORD|PRIVATE_KEY|VAPID).*");
        Pattern required = Pattern.compile("\\$\\{([A-Z0-9_]+):\\?[^}]+}");
        String example = Files.readString(ROOT.resolve(".env.example"));
        String validation = Files.readString(VALIDATION_ENV);
        for (Map.Entry<String, JsonNode> s : compose.get("services").properties()) {
            for (Map.Entry<String, JsonNode> env : s.getValue().path("environment").properties()) {
                if (!secretName.matcher(env.getKey()).matches()) {
                    continue;
                }
                Matcher m = required.matcher(env.getValue().asText());
                assertThat(m.matches()).as("%s: %s must be ${VARIABLE:?message}, was %s", s.getKey(), env.getKey(),
                        env.getValue().asText()).isTrue();
                assertThat(example).as(".env.example names %s", m.group(1)).containsPattern("(?m)^" + m.group(1) + "=");
                assertThat(validation).as("deploy/compose-validation.env sets %s", m.group(1))
                        .containsPattern("(?m)^" + m.group(1) + "=.+");
            }
        }
    }

    /** Media answers other than 200/206 (above all the 404 of an upload's HEAD) must not be cached. */
    static void checkNginxCache(String nginx) {
        Matcher valid = Pattern.compile("proxy_cache_valid\\s+([^;]+);").matcher(nginx);
        int found = 0;
        while (valid.find()) {
            found++;
            List<String> words = List.of(valid.group(1).trim().split("\\s+"));
            assertThat(words.subList(0, words.size() - 1)).as("nginx proxy_cache_valid caches only 200 and 206: %s",
                    valid.group()).isNotEmpty().allMatch(code -> code.equals("200") || code.equals("206"));
        }
        assertThat(found).as("nginx proxy_cache_valid lines").isPositive();
    }

    private static long seconds(String duration) {
        Matcher m = Pattern.compile("(?:(\\d+)m)?(?:(\\d+)s)?").matcher(duration.trim());
        assertThat(m.matches()).as("a compose duration: %s", duration).isTrue();
        return (m.group(1) == null ? 0 : Long.parseLong(m.group(1)) * 60) + (m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
    }

    private static void checkBuild(String name, JsonNode svc, Set<String> stages) throws IOException {
        JsonNode build = svc.get("build");
        String target = build.path("target").asText();
        assertThat(stages).as("%s builds Dockerfile target %s", name, target).contains(target);
        if (target.equals("flink-job")) {
            String script = Files.readString(ROOT.resolve("deploy/flink/submit-groups-job.sh"));
            for (String env : names(svc.path("environment"))) {
                assertThat(script).as("%s: the submit script reads %s", name, env).contains("${" + env);
            }
            for (JsonNode arg : svc.path("command")) {
                String key = arg.asText().split("=", 2)[0];
                assertThat(GROUPS_JOB_KEYS.contains(key) || key.startsWith("flink."))
                        .as("%s: GroupsJobMain reads the argument %s", name, key).isTrue();
            }
            return;
        }
        String module = build.path("args").path("MODULE").asText();
        ConfigReader reader = READERS.get(module);
        assertThat(reader).as("%s: a table entry for module '%s'", name, module).isNotNull();
        assertThat(build.path("args").path("MAIN_CLASS").asText()).as("%s main class", name).isEqualTo(reader.mainClass());
        Matcher built = Pattern.compile("for m in ([^;]+);").matcher(Files.readString(ROOT.resolve("Dockerfile")));
        assertThat(built.find()).as("the Dockerfile's loop over the service modules").isTrue();
        assertThat(built.group(1).trim().split("\\s+")).as("the Dockerfile packages %s", module).contains(module);
        for (String env : names(svc.path("environment"))) {
            assertThat(reads(reader, env)).as("%s (%s) sets %s, which %s does not read", name, module, env, reader.mainClass()).isTrue();
        }
        if (module.equals("edge") || module.equals("assets")) {
            assertThat(svc.path("healthcheck").path("test").toString()).as("%s healthcheck uses /observe/health", name)
                    .contains("/observe/health");
        }
        String portVariable = HEALTH_PORTS.get(module);
        if (portVariable != null) {
            String port = svc.path("environment").path(portVariable).asText("");
            assertThat(port).as("%s sets %s", name, portVariable).matches("[1-9][0-9]*");
            assertThat(svc.path("healthcheck").path("test").toString()).as("%s healthcheck asks %s's /health", name, module)
                    .contains("127.0.0.1:" + port + "/health");
        }
    }

    static boolean reads(ConfigReader reader, String env) {
        return switch (reader.style()) {
            case LITERAL -> reader.keys().contains(env);
            case UPPER_UNDERSCORE -> reader.keys().stream()
                    .anyMatch(k -> k.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_').equals(env));
            case HELIDON -> EnvironmentVariables.expand(Map.of(env, "x")).keySet().stream().anyMatch(reader.keys()::contains);
        };
    }

    private static void checkTopology(JsonNode services) throws IOException {
        List<String> brokers = new ArrayList<>();
        Set<String> nodeIds = new HashSet<>();
        Set<String> clusterIds = new HashSet<>();
        List<String> edges = new ArrayList<>();
        Set<Integer> edgePartitions = new TreeSet<>();
        int routers = 0;
        for (Map.Entry<String, JsonNode> s : services.properties()) {
            JsonNode svc = s.getValue();
            JsonNode env = svc.path("environment");
            if (svc.path("image").asText().startsWith("apache/kafka")) {
                brokers.add(s.getKey());
                nodeIds.add(env.path("KAFKA_NODE_ID").asText());
                clusterIds.add(env.path("CLUSTER_ID").asText());
                assertThat(env.path("KAFKA_DEFAULT_REPLICATION_FACTOR").asText()).as(s.getKey()).isEqualTo("3");
                assertThat(env.path("KAFKA_MIN_INSYNC_REPLICAS").asText()).as(s.getKey()).isEqualTo("2");
                assertThat(env.path("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR").asText()).as(s.getKey()).isEqualTo("3");
            }
            String module = svc.path("build").path("args").path("MODULE").asText();
            if (module.equals("edge")) {
                edges.add(s.getKey());
                assertThat(edgePartitions.add(env.path("EDGE_PARTITION").asInt(-1)))
                        .as("%s: EDGE_PARTITION is unique", s.getKey()).isTrue();
            }
            if (module.equals("streams-router")) {
                routers++;
                assertThat(env.path("ROUTER_STANDBY_REPLICAS").asInt(0)).as("%s standby replicas", s.getKey()).isGreaterThanOrEqualTo(1);
                assertThat(svc.path("volumes")).as("%s keeps its state on a volume", s.getKey()).isNotEmpty();
            }
        }
        assertThat(brokers).as("Kafka brokers").hasSize(3);
        assertThat(nodeIds).as("KAFKA_NODE_ID distinct").hasSize(3);
        assertThat(clusterIds).as("one CLUSTER_ID").hasSize(1);
        assertThat(Base64.getUrlDecoder().decode(clusterIds.iterator().next())).as("CLUSTER_ID is a base64 UUID").hasSize(16);
        assertThat(routers).as("router instances").isGreaterThanOrEqualTo(2);
        assertThat(edgePartitions).as("EDGE_PARTITION values are 0..n-1").containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, edges.size()).boxed().toList());

        List<String> init = new ArrayList<>();
        services.path("topic-init").path("command").forEach(a -> init.add(a.asText()));
        assertThat(init).as("topic-init").containsSubsequence("topics", "create");
        assertThat(option(init, "--edges")).as("topic-init --edges = number of edges").isEqualTo(Integer.toString(edges.size()));
        assertThat(option(init, "--replication")).isEqualTo("3");
        assertThat(option(init, "--min-isr")).isEqualTo("2");

        String nginx = Files.readString(ROOT.resolve("deploy/nginx.conf"));
        for (String edge : edges) {
            assertThat(nginx).as("nginx balances over %s", edge).containsPattern("server\\s+" + Pattern.quote(edge) + ":8080");
        }
        assertThat(nginx).contains("proxy_set_header Upgrade $http_upgrade", "proxy_set_header Connection $connection_upgrade",
                "proxy_cache media", "location /v1/media/");
    }

    // ---- helpers ----

    private static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        return i < 0 || i + 1 >= args.size() ? null : args.get(i + 1);
    }

    private static Map<String, JsonNode> dependsOn(JsonNode svc) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        JsonNode deps = svc.path("depends_on");
        if (deps.isArray()) {
            deps.forEach(d -> out.put(d.asText(), Json.MAPPER.getNodeFactory().textNode("service_started")));
        } else {
            deps.properties().forEach(e -> out.put(e.getKey(), e.getValue().path("condition")));
        }
        return out;
    }

    private static Set<String> names(JsonNode node) {
        Set<String> out = new TreeSet<>();
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asText().split("=", 2)[0]));
        } else {
            node.fieldNames().forEachRemaining(out::add);
        }
        return out;
    }

    static Set<String> dockerfileStages() throws IOException {
        Set<String> stages = new HashSet<>();
        Matcher m = Pattern.compile("(?im)^FROM\\s+\\S+\\s+AS\\s+(\\S+)").matcher(Files.readString(ROOT.resolve("Dockerfile")));
        while (m.find()) {
            stages.add(m.group(1));
        }
        return stages;
    }

    /** A key is read when its literal, or a node name and the rest of the key, appear in the module's source or YAML. */
    static boolean readsKey(String source, String key, Style style) {
        if (style == Style.LITERAL) {
            return source.contains("env:" + key);
        }
        if (source.contains("\"" + key + "\"")) {
            return true;
        }
        for (int i = key.indexOf('.'); i > 0; i = key.indexOf('.', i + 1)) {
            String node = key.substring(0, i);
            String rest = key.substring(i + 1);
            boolean nodeNamed = source.contains("\"" + node + "\"") || source.contains("\"" + node + ".\"");
            if (nodeNamed && source.contains("\"" + rest + "\"")) {
                return true;
            }
        }
        return false;
    }

    private static String moduleText(Path module) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Path dir : List.of(module.resolve("src/main/java"), module.resolve("src/main/resources"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    b.append(Files.readString(f)).append('\n');
                }
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).toList()) {
                    flatten("", new YAMLMapper().readTree(f.toFile()), b);
                }
            }
        }
        return b.toString();
    }

    /** Adds every key path of a YAML file as a quoted literal ("server.port"), as if the code named it. */
    private static void flatten(String prefix, JsonNode node, StringBuilder out) {
        if (node != null && node.isObject()) {
            node.properties().forEach(e -> {
                String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
                out.append('"').append(key).append("\"\n");
                flatten(key, e.getValue(), out);
            });
        }
    }

    static JsonNode loadWithAnchors(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file)) {
            Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
            return Json.MAPPER.valueToTree(doc);
        }
    }

    static String onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        return null;
    }

    /** The checkout holding this test, or $PIPECHAT_REPO_ROOT (to check a merged tree from elsewhere). */
    private static Path findRoot() {
        String override = System.getenv("PIPECHAT_REPO_ROOT");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("docker-compose.yml")) && Files.exists(p.resolve("mvnw"))) {
                return p;
            }
        }
        throw new IllegalStateException("no docker-compose.yml above " + Path.of("").toAbsolutePath());
    }
}
