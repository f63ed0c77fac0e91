package io.pipechat.assets.media;

import java.util.Optional;

/**
 * One satisfiable byte range of a blob, {@code first..last} inclusive, from an HTTP {@code Range}
 * header. Only single ranges in bytes are honoured; anything else is ignored (RFC 9110 lets a
 * server ignore Range), which means the whole blob is sent.
 */
record ByteRange(long first, long last) {

    long length() {
        return last - first + 1;
    }

    String contentRange(long size) {
        return "bytes " + first + "-" + last + "/" + size;
    }

    /** The outcome of reading a Range header against a blob of known size. */
    sealed interface Parsed {
    }

    /** No usable Range: send everything. */
    record Whole() implements Parsed {
    }

    /** A range that overlaps the blob. */
    record Partial(ByteRange range) implements Parsed {
    }

    /** A well-formed range that does not overlap the blob: 416. */
    record Unsatisfiable() implements Parsed {
    }

    static Parsed parse(Optional<String> header, long size) {
        if (header.isEmpty()) {
            return new Whole();
        }
        String h = header.get().trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.indexOf(',') >= 0) {
            return new Whole();
        }
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return new Whole();
        }
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        try {
            if (a.isEmpty()) {
                // suffix range: the last n bytes
                if (b.isEmpty()) {
                    return new Whole();
                }
                long n = parseNonNegative(b);
                if (n == 0 || size == 0) {
                    return new Unsatisfiable();
                }
                return new Partial(new ByteRange(Math.max(0, size - n), size - 1));
            }
            long first = parseNonNegative(a);
            long last = b.isEmpty() ? Long.MAX_VALUE : parseNonNegative(b);
            if (last < first) {
                return new Whole();
            }
            if (first >= size) {
                return new Unsatisfiable();
            }
            return new Partial(new ByteRange(first, Math.min(last, size - 1)));
        } catch (NumberFormatException e) {
            return new Whole();
        }
    }

    private static long parseNonNegative(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                throw new NumberFormatException(s);
            }
        }
        return Long.parseLong(s);
    }
}
