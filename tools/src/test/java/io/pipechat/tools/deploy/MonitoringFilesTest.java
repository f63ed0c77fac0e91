package io.pipechat.tools.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.pipechat.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Checks the monitoring files of {@code deploy/} against the code, the runbook and the compose file:
 * every metric the alert rules and the Grafana dashboard query is one the project registers (found by
 * scanning the main sources for meter registrations and naming them as the Prometheus exporters do)
 * or a listed third-party metric ({@link #THIRD_PARTY}); every alert has a {@code for}, a severity, a
 * summary and a runbook that is a heading of docs/OPERATIONS.md; Prometheus scrapes the metrics port
 * of every service in docker-compose.yml. Where Debian's {@code promtool} is installed it must accept
 * the configuration and the rules and pass the rules' unit tests (deploy/prometheus/alerts-test.yml);
 * with CI set, a missing promtool fails the test.
 */
class MonitoringFilesTest {
    static final Path ROOT = ComposeFileTest.ROOT;
    static final Path SCRAPE_CONFIG = ROOT.resolve("deploy/prometheus/prometheus.yml");
    static final Path RULES = ROOT.resolve("deploy/prometheus/alerts.yml");
    /** promtool's unit tests of the rules: sample series in, alerts (labels, annotations) out. */
    static final Path RULE_TESTS = ROOT.resolve("deploy/prometheus/alerts-test.yml");
    static final Path DASHBOARD = ROOT.resolve("deploy/grafana/dashboards/pipechat.json");
    static final Path DATASOURCES = ROOT.resolve("deploy/grafana/provisioning/datasources/prometheus.yml");
    static final Path OPERATIONS = ROOT.resolve("docs/OPERATIONS.md");

    /**
     * Metrics that come from other code than ours, so the scan of our sources cannot find them.
     * Add a name here only with where it comes from.
     */
    static final Set<String> THIRD_PARTY = Set.of(
            // Prometheus itself: 1 when the last scrape of the target succeeded.
            "up",
            // Kafka consumer fetch-manager-metrics "records-lag-max" through Micrometer's KafkaClientMetrics
            // (edge, notifier) and KafkaStreamsMetrics (router's stream threads); read by KafkaClientMetricsIT.
            "kafka_consumer_fetch_manager_records_lag_max",
            // Flink 2.2 JobManager metrics via the Prometheus reporter (scope flink_jobmanager, job scope
            // flink_jobmanager_job; the reporter keeps Flink's camelCase): MetricNames.NUM_RUNNING_JOBS,
            // NUM_RESTARTS and DefaultCheckpointStatsTracker's checkpoint gauges.
            "flink_jobmanager_numRunningJobs",
            "flink_jobmanager_job_numRestarts",
            "flink_jobmanager_job_lastCompletedCheckpointId",
            "flink_jobmanager_job_lastCheckpointDuration",
            "flink_jobmanager_job_numberOfFailedCheckpoints");

    /**
     * The Prometheus reporter's name of an operator metric registered by our Flink code: this prefix,
     * then {@code deserializer_} for metrics of a source's deserialization schema, then group_name.
     */
    static final String FLINK_OPERATOR = "flink_taskmanager_job_task_operator_";

    static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

    // ---- the tests ----

    @Test
    void everyAlertHasForSeveritySummaryAndARunbookHeading() throws IOException {
        checkRules(new YAMLMapper().readTree(RULES.toFile()), anchors(Files.readString(OPERATIONS)));
    }

    @Test
    void everyMetricTheRulesAndTheDashboardQueryIsOneTheServicesExpose() throws IOException {
        Set<String> exposed = projectMetricNames();
        assertThat(unknownMetrics(queries(), exposed)).as("metrics queried but exposed by no code (nor listed in THIRD_PARTY)")
                .isEmpty();
    }

    @Test
    void theScanNamesMetersAsPrometheusDoes() throws IOException {
        Set<String> exposed = projectMetricNames();
        // Names the modules' own tests read from /metrics (RouterObserverIT, CdcMetricsTest, NotifierIT, EdgeIT).
        assertThat(exposed).contains("pipechat_router_mailbox_entries", "pipechat_router_mailbox_users",
                "pipechat_router_mailbox_oldest_age_seconds", "pipechat_router_messages_stored_total",
                "pipechat_cdc_lag_seconds_bucket", "pipechat_cdc_lag_seconds_count", "pipechat_cdc_last_event_age_seconds",
                "pipechat_cdc_state", "pipechat_cdc_write_failures_total", "pipechat_notifier_pushes_total",
                "pipechat_edge_connections", "pipechat_edge_produce_latency_seconds_count",
                FLINK_OPERATOR + "group_expander_deliveries_per_second", FLINK_OPERATOR + "group_expander_recipients",
                FLINK_OPERATOR + "deserializer_group_members_cdc_changes");
        assertThat(exposed).doesNotContain("pipechat_router_mailbox_entries_total", "pipechat_cdc_lag_seconds",
                "pipechat_edge_produce_latency_seconds_bucket");
    }

    @Test
    void prometheusScrapesTheMetricsPortOfEveryService() throws IOException {
        JsonNode compose = ComposeFileTest.loadWithAnchors(ROOT.resolve("docker-compose.yml"));
        checkScrapes(compose, new YAMLMapper().readTree(SCRAPE_CONFIG.toFile()));
    }

    @Test
    void monitoringRunsOnlyUnderItsProfileWithTheFilesOfDeploy() throws IOException {
        JsonNode services = ComposeFileTest.loadWithAnchors(ROOT.resolve("docker-compose.yml")).get("services");
        for (String name : List.of("prometheus", "grafana")) {
            assertThat(services.path(name).path("profiles").toString()).as("%s profiles", name).isEqualTo("[\"monitoring\"]");
        }
        assertThat(services.path("prometheus").path("volumes").toString()).contains("./deploy/prometheus:/etc/prometheus");
        assertThat(services.path("grafana").path("volumes").toString())
                .contains("./deploy/grafana/provisioning:/etc/grafana/provisioning", "./deploy/grafana/dashboards:");
        JsonNode rules = new YAMLMapper().readTree(SCRAPE_CONFIG.toFile()).path("rule_files");
        assertThat(rules.toString()).as("prometheus.yml loads the rules (relative to its directory)").contains("alerts.yml");
        String uid = new YAMLMapper().readTree(DATASOURCES.toFile()).path("datasources").get(0).path("uid").asText();
        List<String> used = new ArrayList<>();
        collect(Json.MAPPER.readTree(DASHBOARD.toFile()), "datasource", used);
        assertThat(used).as("the dashboard's datasources").isNotEmpty().allMatch(d -> d.contains("\"uid\":\"" + uid + "\""));
    }

    @Test
    void promtoolAcceptsTheConfigurationAndTheRules() throws Exception {
        String promtool = ComposeFileTest.onPath("promtool");
        if (promtool == null) {
            String ci = System.getenv("CI");
            if (ci != null && !ci.isBlank()) {
                fail("promtool is not installed but CI is set (apt-get install -y prometheus)");
            }
            assumeTrue(false, "promtool not installed; skipped outside CI");
        }
        // check config also checks the rule files it names; test rules fires the alerts on sample series.
        promtool(promtool, "check", "config", SCRAPE_CONFIG.toString());
        promtool(promtool, "test", "rules", RULE_TESTS.toString());
    }

    private static void promtool(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
        assertThat(out).contains("SUCCESS");
    }

    @Test
    void theChecksCatchBrokenFiles() throws IOException {
        Set<String> exposed = projectMetricNames();
        assertThat(unknownMetrics(List.of("sum by (instance) (rate(pipechat_router_mailbox_entrys{job=\"x\"}[5m])) > 1e6"), exposed))
                .containsExactly("pipechat_router_mailbox_entrys");
        assertThat(unknownMetrics(List.of("pipechat_router_mailbox_entries_total"), exposed)).hasSize(1);
        assertThat(unknownMetrics(List.of(FLINK_OPERATOR + "group_expander_fanout"), exposed)).hasSize(1);
        assertThat(unknownMetrics(List.of("histogram_quantile(0.99, sum by (le) (rate(pipechat_cdc_lag_seconds_bucket[$__rate_interval])))"
                + " and on (instance) up == 1 offset 5m or absent(up)"), exposed)).isEmpty();

        JsonNode good = new YAMLMapper().readTree(RULES.toFile());
        Set<String> anchors = anchors(Files.readString(OPERATIONS));
        assertRulesFail(good, r -> r.remove("for"), anchors, "for");
        assertRulesFail(good, r -> ((ObjectNode) r.get("labels")).put("severity", "page"), anchors, "severity");
        assertRulesFail(good, r -> ((ObjectNode) r.get("annotations")).remove("summary"), anchors, "summary");
        assertRulesFail(good, r -> ((ObjectNode) r.get("annotations")).put("runbook", "docs/OPERATIONS.md#no-such-heading"),
                anchors, "no-such-heading");

        JsonNode compose = ComposeFileTest.loadWithAnchors(ROOT.resolve("docker-compose.yml"));
        JsonNode scrape = new YAMLMapper().readTree(SCRAPE_CONFIG.toFile());
        for (JsonNode job : scrape.get("scrape_configs")) {
            if (job.path("job_name").asText().equals("pipechat-notifier")) {
                ((ObjectNode) job.get("static_configs").get(0)).putArray("targets").add("notifier:9499");
            }
        }
        assertThatThrownBy(() -> checkScrapes(compose, scrape)).hasMessageContaining("notifier:9401");
    }

    @Test
    void anchorsAreGithubHeadingSlugs() {
        assertThat(anchors("## Planning chat.user-events partitions\n### Push endpoints (SSRF)\n## A\n## A\n```\n# not a heading\n```\n"))
                .containsExactlyInAnyOrder("planning-chatuser-events-partitions", "push-endpoints-ssrf", "a", "a-1");
    }

    private static void assertRulesFail(JsonNode good, java.util.function.Consumer<ObjectNode> breakIt, Set<String> anchors,
                                        String mentioned) {
        JsonNode copy = good.deepCopy();
        breakIt.accept((ObjectNode) copy.get("groups").get(0).get("rules").get(0));
        try {
            checkRules(copy, anchors);
        } catch (AssertionError e) {
            assertThat(e.getMessage()).contains(mentioned);
            return;
        }
        fail("broken rules passed the checks (" + mentioned + ")");
    }

    // ---- the checks ----

    static void checkRules(JsonNode rules, Set<String> anchors) {
        Set<String> names = new HashSet<>();
        int alerts = 0;
        assertThat(rules.path("groups")).as("rule groups").isNotEmpty();
        for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String alert = rule.path("alert").asText("");
                if (alert.isEmpty()) {
                    continue; // a recording rule
                }
                alerts++;
                assertThat(names.add(alert)).as("alert name %s is unique", alert).isTrue();
                assertThat(rule.path("expr").asText("")).as("%s expr", alert).isNotBlank();
                assertThat(rule.path("for").asText("")).as("%s has a for: duration", alert).matches("[1-9][0-9]*[smh]");
                assertThat(rule.path("labels").path("severity").asText("")).as("%s severity", alert).isIn(SEVERITIES);
                assertThat(rule.path("annotations").path("summary").asText("")).as("%s has a summary", alert).isNotBlank();
                String runbook = rule.path("annotations").path("runbook").asText("");
                assertThat(runbook).as("%s runbook", alert).startsWith("docs/OPERATIONS.md#");
                assertThat(anchors).as("%s runbook %s is a heading of docs/OPERATIONS.md", alert, runbook)
                        .contains(runbook.substring(runbook.indexOf('#') + 1));
            }
        }
        assertThat(alerts).as("alerts").isPositive();
    }

    /** Each service with a metrics endpoint is a target of a job with that endpoint's path; no target is unknown. */
    static void checkScrapes(JsonNode compose, JsonNode scrapeConfig) {
        Map<String, String> expected = new TreeMap<>();
        compose.get("services").properties().forEach(e -> {
            JsonNode svc = e.getValue();
            String module = svc.path("build").path("args").path("MODULE").asText("");
            String portVariable = ComposeFileTest.HEALTH_PORTS.get(module);
            if (module.equals("edge") || module.equals("assets")) {
                expected.put(e.getKey() + ":8080", "/observe/metrics");
            } else if (portVariable != null) {
                expected.put(e.getKey() + ":" + svc.path("environment").path(portVariable).asText(), "/metrics");
            }
            Matcher prom = Pattern.compile("metrics\\.reporter\\.prom\\.port:\\s*(\\d+)")
                    .matcher(svc.path("environment").path("FLINK_PROPERTIES").asText(""));
            if (prom.find()) {
                expected.put(e.getKey() + ":" + prom.group(1), "/metrics");
            }
        });
        Map<String, String> scraped = new TreeMap<>();
        for (JsonNode job : scrapeConfig.path("scrape_configs")) {
            String path = job.path("metrics_path").asText("/metrics");
            for (JsonNode sc : job.path("static_configs")) {
                sc.path("targets").forEach(t -> scraped.put(t.asText(), path));
            }
        }
        assertThat(expected).as("services with a metrics endpoint").isNotEmpty();
        assertThat(scraped).as("prometheus.yml scrapes every service's metrics endpoint").containsAllEntriesOf(expected);
        for (String target : scraped.keySet()) {
            assertThat(compose.get("services").has(target.split(":")[0])).as("scrape target %s is a compose service", target).isTrue();
        }
    }

    /** The names queried in the rules' and the dashboard's expressions that no code exposes. */
    static Set<String> unknownMetrics(List<String> queries, Set<String> exposed) {
        Set<String> unknown = new TreeSet<>();
        for (String q : queries) {
            for (String name : PromQl.metricNames(q)) {
                if (!exposed.contains(name) && !THIRD_PARTY.contains(name)) {
                    unknown.add(name);
                }
            }
        }
        return unknown;
    }

    private static List<String> queries() throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode group : new YAMLMapper().readTree(RULES.toFile()).get("groups")) {
            group.path("rules").forEach(r -> out.add(r.path("expr").asText()));
        }
        List<String> dashboard = new ArrayList<>();
        collect(Json.MAPPER.readTree(DASHBOARD.toFile()), "expr", dashboard);
        out.addAll(dashboard.stream().map(MonitoringFilesTest::unquote).toList());
        assertThat(dashboard).as("dashboard queries").isNotEmpty();
        return out;
    }

    private static String unquote(String jsonText) {
        try {
            JsonNode n = Json.MAPPER.readTree(jsonText);
            return n.isTextual() ? n.asText() : jsonText;
        } catch (IOException e) {
            return jsonText;
        }
    }

    /** Every value of the field {@code name} anywhere in the tree, as JSON text. */
    private static void collect(JsonNode node, String name, List<String> out) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if (e.getKey().equals(name)) {
                    out.add(e.getValue().toString());
                } else {
                    collect(e.getValue(), name, out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collect(n, name, out));
        }
    }

    // ---- the metric names the project's code registers ----

    private static final Pattern MICROMETER = Pattern.compile(
            "\\b(Counter|FunctionCounter|Gauge|Timer|DistributionSummary)\\.builder\\(\\s*\"([a-z][a-z0-9_.]*)\""
                    + "((?:[^;\"]|\"(?:[^\"\\\\]|\\\\.)*\")*)"); // the builder chain up to its ;, strings skipped
    /** RouterMeters' and AssetsMetrics' helpers: counter(registry, "a.b", ...) or counter("a.b", ...). */
    private static final Pattern HELPER_COUNTER = Pattern.compile("\\bcounter\\(\\s*(?:\\w+\\s*,\\s*)?\"([a-z][a-z0-9]*(?:\\.[a-z0-9]+)+)\"");
    /** RouterMeters' gauge(registry, "a.b", "description", unit or null, ...). */
    private static final Pattern HELPER_GAUGE = Pattern.compile(
            "\\bgauge\\(\\s*\\w+\\s*,\\s*\"([a-z][a-z0-9.]*)\"\\s*,\\s*\"[^\"]*\"\\s*,\\s*(?:null|\"(\\w+)\")");
    private static final Pattern BASE_UNIT = Pattern.compile("\\.baseUnit\\(\\s*\"(\\w+)\"");
    /** Flink: a metric group, by literal or by a constant of the same file. */
    private static final Pattern FLINK_GROUP = Pattern.compile("\\.addGroup\\(\\s*(?:\"(\\w+)\"|([A-Z][A-Z0-9_]*))\\s*\\)");
    private static final Pattern FLINK_METRIC = Pattern.compile("\\.(counter|meter|gauge|histogram)\\(\\s*\"(\\w+)\"");

    /** The Prometheus names of every meter registered in {@code <module>/src/main/java}. */
    static Set<String> projectMetricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path main : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(main)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                        String source = Files.readString(f);
                        micrometerNames(source, names);
                        flinkNames(source, names);
                    }
                }
            }
        }
        return names;
    }

    /** As Micrometer's PrometheusNamingConvention: dots to _, base unit appended, counters _total, timers in seconds. */
    static void micrometerNames(String source, Set<String> out) {
        Matcher m = MICROMETER.matcher(source);
        while (m.find()) {
            String name = m.group(2).replace('.', '_');
            String chain = m.group(3);
            Matcher unit = BASE_UNIT.matcher(chain);
            switch (m.group(1)) {
                case "Counter", "FunctionCounter" -> out.add(name + "_total");
                case "Gauge" -> out.add(unit.find() ? name + "_" + unit.group(1) : name);
                case "Timer" -> distribution(name + "_seconds", chain, out);
                default -> distribution(unit.find() ? name + "_" + unit.group(1) : name, chain, out);
            }
        }
        Matcher counter = HELPER_COUNTER.matcher(source);
        while (counter.find()) {
            out.add(counter.group(1).replace('.', '_') + "_total");
        }
        Matcher gauge = HELPER_GAUGE.matcher(source);
        while (gauge.find()) {
            out.add(gauge.group(1).replace('.', '_') + (gauge.group(2) == null ? "" : "_" + gauge.group(2)));
        }
    }

    private static void distribution(String name, String chain, Set<String> out) {
        out.addAll(List.of(name + "_count", name + "_sum", name + "_max"));
        if (chain.contains("publishPercentileHistogram") || chain.contains("serviceLevelObjectives")) {
            out.add(name + "_bucket");
        }
    }

    /** As Flink's Prometheus reporter names operator metrics: scope, group, name; a histogram also has _count. */
    static void flinkNames(String source, Set<String> out) {
        List<Integer> groupAt = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        Matcher g = FLINK_GROUP.matcher(source);
        while (g.find()) {
            String group = g.group(1);
            if (group == null) {
                Matcher constant = Pattern.compile("\\b" + g.group(2) + "\\s*=\\s*\"(\\w+)\"").matcher(source);
                group = constant.find() ? constant.group(1) : null;
            }
            if (group != null) {
                groupAt.add(g.start());
                groups.add(group);
            }
        }
        boolean deserializer = source.contains("DeserializationSchema.InitializationContext");
        Matcher m = FLINK_METRIC.matcher(source);
        while (m.find()) {
            String group = null;
            for (int i = 0; i < groups.size(); i++) {
                if (groupAt.get(i) < m.start()) {
                    group = groups.get(i);
                }
            }
            if (group == null) {
                continue;
            }
            // A source's deserialization schema reports under the operator's "deserializer" group.
            String name = FLINK_OPERATOR + (deserializer ? "deserializer_" : "") + group + "_" + m.group(2);
            out.add(name);
            if (m.group(1).equals("histogram")) {
                out.add(name + "_count");
            }
        }
    }

    // ---- docs/OPERATIONS.md headings ----

    /** GitHub's anchors of the Markdown headings (outside code fences): lower case, punctuation dropped, spaces to -. */
    static Set<String> anchors(String markdown) {
        Set<String> out = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            Matcher h = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$").matcher(line);
            if (fenced || !h.matches()) {
                continue;
            }
            String slug = h.group(1).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum);
            out.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        return out;
    }

    /** Just enough PromQL to find the metric names of an expression. */
    static final class PromQl {
        private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
        private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
        /** An identifier not preceded by a digit, letter, dot or $ (numbers, Grafana variables) and not a call. */
        private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()");
        private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
                "ignoring", "group_left", "group_right", "inf", "nan", "atan2");

        static Set<String> metricNames(String expr) {
            String s = STRING.matcher(expr).replaceAll("\"\"");
            s = s.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
            s = GROUPING.matcher(s).replaceAll(" ");
            Set<String> out = new TreeSet<>();
            Matcher m = IDENTIFIER.matcher(s);
            while (m.find()) {
                if (!KEYWORDS.contains(m.group(1).toLowerCase(Locale.ROOT))) {
                    out.add(m.group(1));
                }
            }
            return out;
        }
    }
}
