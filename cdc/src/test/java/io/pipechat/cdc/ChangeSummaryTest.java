package io.pipechat.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChangeSummaryTest {

    @Test
    void readsOperationAndBothTimestampsOfADebeziumEnvelope() {
        // an insert exactly as CdcIT saw it on the topic
        String insert = "{\"before\":null,\"after\":{\"group_id\":\"g1\",\"user_id\":\"u0\",\"role\":\"member\","
                + "\"added_at\":\"2026-11-28T03:51:12.441Z\"},\"source\":{\"version\":\"3.5.0.Final\","
                + "\"connector\":\"mariadb\",\"name\":\"cdc\",\"ts_ms\":1795837872000,\"snapshot\":\"false\","
                + "\"db\":\"chat\",\"sequence\":null,\"ts_us\":1795837872000000,\"ts_ns\":1795837872000000000,"
                + "\"table\":\"group_members\",\"server_id\":1,\"gtid\":\"0-1-35\",\"file\":\"binlog.000001\","
                + "\"pos\":17913,\"row\":0,\"thread\":null,\"query\":null},\"transaction\":null,\"op\":\"c\","
                + "\"ts_ms\":1795837872443,\"ts_us\":1795837872443215,\"ts_ns\":1795837872443215055}";
        assertThat(ChangeSummary.of(insert)).isEqualTo(new ChangeSummary("create", 1795837872000L, 1795837872443L));
        assertThat(ChangeSummary.of("{\"op\":\"r\",\"source\":{\"ts_ms\":5}}").op()).isEqualTo("read");
        assertThat(ChangeSummary.of("{\"op\":\"u\"}")).isEqualTo(new ChangeSummary("update", -1, -1));
        assertThat(ChangeSummary.of("{\"before\":{\"op\":\"x\",\"ts_ms\":1},\"op\":\"d\",\"ts_ms\":7}"))
                .as("fields of the row are not the envelope's").isEqualTo(new ChangeSummary("delete", -1, 7));
    }

    @Test
    void aNullValueIsATombstoneAndAnythingUnreadableIsOther() {
        assertThat(ChangeSummary.of(null)).isEqualTo(ChangeSummary.TOMBSTONE);
        assertThat(ChangeSummary.of("not json").op()).isEqualTo("other");
        assertThat(ChangeSummary.of("[1,2]").op()).isEqualTo("other");
        assertThat(ChangeSummary.of("{\"op\":\"c\",\"source\":{\"ts_ms\":").op()).as("cut short").isEqualTo("other");
        assertThat(ChangeSummary.of("{\"op\":\"z\"}").op()).isEqualTo("other");
        assertThat(ChangeSummary.of("{\"after\":{}}").op()).as("no op").isEqualTo("other");
    }
}
