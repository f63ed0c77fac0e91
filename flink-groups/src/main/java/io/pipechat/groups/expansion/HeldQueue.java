package io.pipechat.groups.expansion;

/**
 * The bounds of one group's queue of held messages in {@link GroupExpander}: messages are numbered
 * in arrival order; {@code first} is the number of the oldest still held (the head), {@code next}
 * the number the next one gets, {@code size} how many are held (numbers between {@code first} and
 * {@code next} whose message was released early, with its sender's others, are gaps). Stored as JSON
 * in the {@code held_queue} state: never rename the components.
 */
public record HeldQueue(long first, long next, int size) {
    static final HeldQueue EMPTY = new HeldQueue(0, 0, 0);

    HeldQueue plus(long number) {
        return new HeldQueue(size == 0 ? number : first, number + 1, size + 1);
    }

    HeldQueue minus(int count) {
        return new HeldQueue(first, next, size - count);
    }

    HeldQueue from(long head) {
        return new HeldQueue(head, next, size);
    }
}
