package io.pipechat.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A media attachment as carried inside {@code send} and {@code msg}: the content-addressed id of
 * the (encrypted) blob, its type and size, and optionally the key and file name for the recipient's
 * client. The server never reads {@code key}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Media(String id, String mime, long size, String key, String name) {
}
