package io.pipechat.groups.expansion;

import java.util.ArrayList;
import java.util.List;

/**
 * The numbers (see {@link HeldQueue}) of one sender's held messages in one group, in arrival
 * order; at most {@code max-held-per-sender} of them. Stored as JSON in the {@code held_senders}
 * state: never rename the components.
 */
public record SenderHeld(List<Long> numbers) {

    public SenderHeld {
        numbers = List.copyOf(numbers);
    }

    static SenderHeld of(long number) {
        return new SenderHeld(List.of(number));
    }

    SenderHeld plus(long number) {
        List<Long> more = new ArrayList<>(numbers.size() + 1);
        more.addAll(numbers);
        more.add(number);
        return new SenderHeld(more);
    }

    /** Without the oldest, or {@code null} if that was the only one. */
    SenderHeld withoutOldest() {
        return numbers.size() == 1 ? null : new SenderHeld(numbers.subList(1, numbers.size()));
    }

    int size() {
        return numbers.size();
    }
}
