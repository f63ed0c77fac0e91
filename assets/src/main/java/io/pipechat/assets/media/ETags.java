package io.pipechat.assets.media;

/** Strong entity tags of blobs: the media id in double quotes. */
final class ETags {
    private ETags() {
    }

    static String of(String id) {
        return "\"" + id + "\"";
    }

    /**
     * Whether an {@code If-None-Match} / {@code If-Range} value names this blob: {@code *}, or a
     * comma-separated list containing the id, quoted or not, weak or strong (blobs never change, so
     * weak and strong comparison agree).
     */
    static boolean matches(String header, String id) {
        for (String tag : header.split(",")) {
            String t = tag.trim();
            if (t.equals("*")) {
                return true;
            }
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
                t = t.substring(1, t.length() - 1);
            }
            if (t.equals(id)) {
                return true;
            }
        }
        return false;
    }
}
