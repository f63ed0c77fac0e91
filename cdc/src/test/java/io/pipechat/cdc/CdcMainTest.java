package io.pipechat.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CdcMainTest {

    @Test
    void httpPortDefaultsTo9402AndNegativeTurnsItOff() {
        assertThat(CdcMain.httpPort(null)).isEqualTo(9402);
        assertThat(CdcMain.httpPort(" ")).isEqualTo(9402);
        assertThat(CdcMain.httpPort("0")).isZero();
        assertThat(CdcMain.httpPort(" 9500 ")).isEqualTo(9500);
        assertThat(CdcMain.httpPort("-1")).isEqualTo(-1);
        assertThatThrownBy(() -> CdcMain.httpPort("http")).hasMessageContaining("cdc.http-port must be a number");
        assertThatThrownBy(() -> CdcMain.httpPort("70000")).hasMessageContaining("cdc.http-port");
    }
}
