package io.pipechat.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.bench.load.LatencyTimeline;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HtmlReportTest {
    @Test
    void thePageIsSelfContainedWithBothChartsAndTheTable() {
        LatencyTimeline t = new LatencyTimeline("send -> msg", 0);
        for (int s = 1; s <= 5; s++) {
            for (int i = 1; i <= 100; i++) {
                t.record(i * 1_000_000L * s);
            }
            t.tick(s * 1_000_000_000L);
        }
        String html = HtmlReport.render("direct <test>", List.of("row one", "p99 & more"), List.of(t), Map.of("k", 1));
        assertThat(html).startsWith("<!doctype html>").contains("<svg", "<polyline", "<circle", "row one", "p99 &amp; more",
                "direct &lt;test&gt;", "send -&gt; msg", "p99.9");
        assertThat(html.split("<svg", -1)).hasSize(3);
        assertThat(html).doesNotContain("<script", "src=\"http", "href=\"http");
    }

    @Test
    void anEmptyRunStillRenders() {
        String html = HtmlReport.render("empty", List.of(), List.of(new LatencyTimeline("none", 0)), Map.of());
        assertThat(html).contains("<svg").endsWith("</html>\n");
    }
}
