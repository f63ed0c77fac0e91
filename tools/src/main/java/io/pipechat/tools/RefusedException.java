package io.pipechat.tools;

/** An operation the command will not do (shrinking partitions, replaying a topic into itself): exit status 2. */
public final class RefusedException extends RuntimeException {
    public RefusedException(String message) {
        super(message);
    }
}
