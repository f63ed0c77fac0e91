package io.pipechat.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.bench.load.Accounting.Audience;
import io.pipechat.bench.load.Accounting.Outcome;
import org.junit.jupiter.api.Test;

class AccountingTest {
    private static final long MS = 1_000_000;

    @Test
    void everyMessageDeliveredOnceIsClean() {
        Accounting a = new Accounting(3);
        long k1 = Accounting.key(0, 0);
        long k2 = Accounting.key(0, 1);
        a.expect(k1, Audience.single(1), 0);
        a.expect(k2, Audience.single(2), 10 * MS);
        assertThat(a.sent(k1, 3 * MS)).isEqualTo(3 * MS);
        a.sent(k2, 12 * MS);
        Accounting.Delivery d1 = a.delivered(1, 1, k1, 40 * MS);
        Accounting.Delivery d2 = a.delivered(2, 1, k2, 60 * MS);
        assertThat(d1.outcome()).isEqualTo(Outcome.LAST);
        assertThat(d1.latencyNanos()).isEqualTo(40 * MS);
        assertThat(d2.latencyNanos()).isEqualTo(50 * MS);
        Accounting.Summary s = a.summary();
        assertThat(s.clean()).isTrue();
        assertThat(s.delivered()).isEqualTo(2);
        assertThat(s.lost()).isZero();
        assertThat(a.outstanding()).isZero();
    }

    @Test
    void aConfirmedMessageThatNeverArrivesIsLost() {
        Accounting a = new Accounting(2);
        long k = Accounting.key(0, 0);
        a.expect(k, Audience.single(1), 0);
        a.sent(k, MS);
        Accounting.Summary s = a.summary();
        assertThat(s.lost()).isEqualTo(1);
        assertThat(s.unconfirmedMissing()).isZero();
        assertThat(s.clean()).isFalse();
    }

    @Test
    void anUnconfirmedMissingMessageIsCountedApartFromLost() {
        Accounting a = new Accounting(2);
        a.expect(Accounting.key(0, 0), Audience.single(1), 0);
        Accounting.Summary s = a.summary();
        assertThat(s.lost()).isZero();
        assertThat(s.unconfirmedMissing()).isEqualTo(1);
        assertThat(a.unconfirmedMessages()).isEqualTo(1);
        assertThat(s.clean()).isFalse();
    }

    @Test
    void aRejectedMessageIsNeitherExpectedNorLost() {
        Accounting a = new Accounting(2);
        long k = Accounting.key(0, 0);
        a.expect(k, Audience.single(1), 0);
        a.rejected(k);
        Accounting.Summary s = a.summary();
        assertThat(s.rejected()).isEqualTo(1);
        assertThat(s.expectedDeliveries()).isZero();
        assertThat(s.clean()).isTrue();
    }

    @Test
    void anErrorFrameIsCountedByCodeAndRejectsTheMessageItNames() throws Exception {
        Accounting a = new Accounting(2);
        long k = Accounting.key(0, 0);
        a.expect(k, Audience.single(1), 0);
        java.util.Map<String, Long> errors = new java.util.HashMap<>();
        a.error(io.pipechat.protocol.Json.MAPPER.readTree("{\"type\":\"error\",\"code\":\"rate_limited\"}"), errors);
        assertThat(a.summary().rejected()).isZero();
        a.error(io.pipechat.protocol.Json.MAPPER.readTree("{\"type\":\"error\",\"code\":\"rate_limited\",\"id\":\"0-0\"}"),
                errors);
        assertThat(errors).containsExactly(java.util.Map.entry("rate_limited", 2L));
        assertThat(a.summary().rejected()).isEqualTo(1);
        assertThat(a.summary().expectedDeliveries()).isZero();
    }

    @Test
    void aRedeliveredSeqIsDroppedAndCountedAsDuplicateBySeq() {
        Accounting a = new Accounting(2);
        long k = Accounting.key(0, 0);
        a.expect(k, Audience.single(1), 0);
        a.sent(k, MS);
        assertThat(a.delivered(1, 7, k, 2 * MS).counted()).isTrue();
        Accounting.Delivery again = a.delivered(1, 7, k, 3 * MS);
        assertThat(again.outcome()).isEqualTo(Outcome.DUPLICATE_SEQ);
        assertThat(again.counted()).isFalse();
        Accounting.Summary s = a.summary();
        assertThat(s.duplicateSeq()).isEqualTo(1);
        assertThat(s.delivered()).isEqualTo(1);
        assertThat(s.clean()).as("a redelivery the client drops is not a defect").isTrue();
    }

    @Test
    void theSameMessageUnderANewSeqIsADuplicateById() {
        Accounting a = new Accounting(2);
        long k = Accounting.key(0, 0);
        a.expect(k, Audience.single(1), 0);
        a.sent(k, MS);
        a.delivered(1, 1, k, 2 * MS);
        assertThat(a.delivered(1, 2, k, 3 * MS).outcome()).isEqualTo(Outcome.DUPLICATE_ID);
        Accounting.Summary s = a.summary();
        assertThat(s.duplicateId()).isEqualTo(1);
        assertThat(s.clean()).isFalse();
    }

    @Test
    void aDuplicateWithinAGroupIsDetectedBeforeTheGroupCompletes() {
        Accounting a = new Accounting(4);
        Audience group = Audience.group(new int[] {0, 1, 2, 3}, 4);
        long k = Accounting.key(0, 0);
        a.expect(k, group, 0);
        assertThat(a.summary().expectedDeliveries()).as("the sender does not receive its own message").isEqualTo(3);
        a.delivered(1, 1, k, MS);
        assertThat(a.delivered(1, 2, k, MS).outcome()).isEqualTo(Outcome.DUPLICATE_ID);
    }

    @Test
    void messagesOutOfTheSendersOrderAreReordered() {
        Accounting a = new Accounting(2);
        long first = Accounting.key(0, 0);
        long second = Accounting.key(0, 1);
        a.expect(first, Audience.single(1), 0);
        a.expect(second, Audience.single(1), MS);
        assertThat(a.delivered(1, 1, second, 5 * MS).outcome()).isEqualTo(Outcome.LAST);
        Accounting.Delivery late = a.delivered(1, 2, first, 6 * MS);
        assertThat(late.outcome()).isEqualTo(Outcome.REORDERED);
        assertThat(late.counted()).isTrue();
        Accounting.Summary s = a.summary();
        assertThat(s.reordered()).isEqualTo(1);
        assertThat(s.delivered()).isEqualTo(2);
        assertThat(s.clean()).isFalse();
    }

    @Test
    void anIdNeverSentOrSentToSomeoneElseIsUnexpected() {
        Accounting a = new Accounting(3);
        long k = Accounting.key(0, 0);
        a.expect(k, Audience.single(1), 0);
        assertThat(a.delivered(2, 1, k, MS).outcome()).isEqualTo(Outcome.UNEXPECTED);
        assertThat(a.delivered(1, 1, Accounting.key(2, 5), MS).outcome()).isEqualTo(Outcome.UNEXPECTED);
        assertThat(a.delivered(1, 2, Accounting.parseId("not-an-id"), MS).outcome()).isEqualTo(Outcome.UNEXPECTED);
        assertThat(a.summary().unexpected()).isEqualTo(3);
    }

    @Test
    void aGroupMessageCompletesWithItsLastMemberAndReportsThatLatency() {
        Accounting a = new Accounting(5);
        Audience group = Audience.group(new int[] {1, 2, 3}, 5);
        long k = Accounting.key(1, 0);
        a.expect(k, group, 0);
        a.sent(k, MS);
        assertThat(a.delivered(2, 1, k, 10 * MS).last()).isFalse();
        Accounting.Delivery last = a.delivered(3, 1, k, 30 * MS);
        assertThat(last.last()).isTrue();
        assertThat(last.latencyNanos()).isEqualTo(30 * MS);
        assertThat(a.summary().completed()).isEqualTo(1);
        assertThat(a.outstanding()).isZero();
        // after completion the entry is gone; a later copy is still recognised as a duplicate
        assertThat(a.delivered(2, 2, k, 40 * MS).outcome()).isEqualTo(Outcome.DUPLICATE_ID);
    }

    @Test
    void wireIdsRoundTrip() {
        long k = Accounting.key(12345, 678);
        assertThat(Accounting.wireId(k)).isEqualTo("12345-678");
        assertThat(Accounting.parseId("12345-678")).isEqualTo(k);
        assertThat(Accounting.parseId(null)).isEqualTo(-1);
        assertThat(Accounting.parseId("-1")).isEqualTo(-1);
        assertThat(Accounting.parseId("a-b")).isEqualTo(-1);
    }
}
