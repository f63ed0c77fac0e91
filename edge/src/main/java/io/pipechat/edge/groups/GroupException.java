package io.pipechat.edge.groups;

import io.helidon.http.Status;

/** A refusal of the group API, with the HTTP status and error code it answers with. */
public final class GroupException extends RuntimeException {
    private final Status status;
    private final String code;

    public GroupException(Status status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public Status status() {
        return status;
    }

    public String code() {
        return code;
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
}
