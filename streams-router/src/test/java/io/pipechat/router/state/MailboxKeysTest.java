package io.pipechat.router.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MailboxKeysTest {
    @Test
    void seqIsZeroPaddedToNineteenDigits() {
        assertThat(MailboxKeys.key("bob", 0)).isEqualTo("bob\u00000000000000000000000");
        assertThat(MailboxKeys.key("bob", 42)).isEqualTo("bob\u00000000000000000000042");
        assertThat(MailboxKeys.key("bob", Long.MAX_VALUE)).isEqualTo("bob\u0000" + Long.MAX_VALUE);
        assertThat(MailboxKeys.key("bob", 9)).startsWith(MailboxKeys.prefix("bob"));
    }

    @Test
    void keysSortBySeqWithinAUserAndBeforeTheNextUser() {
        assertThat(MailboxKeys.key("bob", 9)).isLessThan(MailboxKeys.key("bob", 10));
        assertThat(MailboxKeys.key("bob", Long.MAX_VALUE)).isLessThan(MailboxKeys.afterUser("bob"));
        assertThat(MailboxKeys.afterUser("bob")).isLessThan(MailboxKeys.key("bob.a", 1));
        assertThat(MailboxKeys.user(MailboxKeys.key("bob", 7))).isEqualTo("bob");
    }

    @Test
    void refusesANegativeSeq() {
        assertThatThrownBy(() -> MailboxKeys.key("bob", -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
