package io.pipechat.assets.store;

/** What {@link BlobStore#put} did with an upload. */
public sealed interface PutOutcome {

    /** The content was new and is now stored. */
    record Created(long size) implements PutOutcome {
    }

    /** The content was already stored; nothing was written. */
    record AlreadyStored(long size) implements PutOutcome {
    }

    /** The bytes do not hash to the claimed id; nothing was stored. */
    record Mismatch(String actualId) implements PutOutcome {
    }

    /** The content exceeded the size limit; reading stopped and nothing was stored. */
    record TooLarge(long limit) implements PutOutcome {
    }
}
