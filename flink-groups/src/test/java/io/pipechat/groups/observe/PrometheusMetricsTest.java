package io.pipechat.groups.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrometheusMetricsTest {

    @Test
    void minusOneIsOffZeroIsAFreePortAnythingElseIsThatPort() {
        assertThat(PrometheusMetrics.resolve(-1)).isEmpty();
        assertThat(PrometheusMetrics.resolve(9249)).hasValue(9249);
        assertThat(PrometheusMetrics.resolve(0).orElseThrow()).isBetween(1, 65_535);
        assertThatThrownBy(() -> PrometheusMetrics.resolve(-2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PrometheusMetrics.resolve(70_000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settingsNameFlinksReporterFactoryAndThePort() {
        assertThat(PrometheusMetrics.reporterSettings(9300)).containsExactly(
                org.assertj.core.api.Assertions.entry("metrics.reporter.prom.factory.class",
                        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"),
                org.assertj.core.api.Assertions.entry("metrics.reporter.prom.port", "9300"));
        assertThatThrownBy(() -> PrometheusMetrics.reporterSettings(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFactoryIsOnTheClasspath() throws Exception {
        assertThat(Class.forName(PrometheusMetrics.FACTORY))
                .isAssignableTo(org.apache.flink.metrics.reporter.MetricReporterFactory.class);
    }
}
