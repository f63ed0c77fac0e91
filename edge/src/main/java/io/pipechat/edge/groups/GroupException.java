package io.pipechat.edge.groups;

import io.helidon.http.Status;
import java.time.Duration;

/**
 * A refusal of the group API, with the HTTP status and error code it answers with, and for a quota
 * how long until the caller may try again.
 */
public final class GroupException extends RuntimeException {
    private final Status status;
    private final String code;
    private final Duration retryAfter;

    public GroupException(Status status, String code, String message) {
        this(status, code, message, null);
    }

    private GroupException(Status status, String code, String message, Duration retryAfter) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfter = retryAfter;
    }

    public Status status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** For a 429: when the quota allows the request again; null otherwise. */
    public Duration retryAfter() {
        return retryAfter;
    }

    static GroupException notFound() {
        return new GroupException(Status.NOT_FOUND_404, "not_found", "no such group");
    }

    static GroupException forbidden(String message) {
        return new GroupException(Status.FORBIDDEN_403, "forbidden", message);
    }

    static GroupException badRequest(String message) {
        return new GroupException(Status.BAD_REQUEST_400, "bad_request", message);
    }

    static GroupException full(int max) {
        return new GroupException(Status.CONFLICT_409, "group_full", "a group has at most " + max + " members");
    }

    static GroupException lastAdmin() {
        return new GroupException(Status.CONFLICT_409, "last_admin",
                "a group needs an admin: make another member admin first");
    }

    static GroupException quota(int max, Duration retryAfter) {
        return new GroupException(Status.TOO_MANY_REQUESTS_429, "rate_limited",
                "at most " + max + " new groups per user in 24 hours; try again in " + readable(retryAfter), retryAfter);
    }

    private static String readable(Duration d) {
        long minutes = Math.max(1, (d.toSeconds() + 59) / 60);
        return minutes < 120 ? minutes + " min" : (minutes + 59) / 60 + " h";
    }
}
