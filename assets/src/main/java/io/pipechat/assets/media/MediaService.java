package io.pipechat.assets.media;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pipechat.assets.AssetsConfig;
import io.pipechat.assets.AssetsMetrics;
import io.pipechat.assets.hot.HotTier;
import io.pipechat.assets.store.BlobStore;
import io.pipechat.assets.store.FileBlobStore;
import io.pipechat.assets.store.PutOutcome;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.auth.Hs256Tokens;
import io.pipechat.protocol.auth.InvalidTokenException;
import io.pipechat.protocol.auth.TokenVerifier;
import io.pipechat.protocol.auth.VerifiedToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code HEAD}, {@code PUT} and {@code GET /{id}} of the media API (PROTOCOL.md, "Media"); mount it
 * with {@code routing.register("/v1/media", mediaService)}.
 *
 * <ul>
 *   <li>{@code HEAD}: 200 with {@code Content-Length} if stored, 404 if not. No authentication.</li>
 *   <li>{@code PUT}: needs {@code Authorization: Bearer <JWT>} (401 otherwise). The body is hashed
 *   while it streams to disk: 201 stored, 200 already stored (the body is not read at all when the
 *   id is known up front, so {@code Expect: 100-continue} clients never send it), 400 when the
 *   bytes do not hash to the id, 413 past {@code max-bytes} (at once if {@code Content-Length}
 *   says so, else as soon as the stream passes it).</li>
 *   <li>{@code GET}: no authentication (the id of a ciphertext is the capability). Strong
 *   {@code ETag} = the quoted id, {@code If-None-Match} 304, single {@code Range} 206 / 416,
 *   {@code Cache-Control: public, max-age=31536000, immutable}, {@code Accept-Ranges: bytes}.</li>
 * </ul>
 * Errors carry a JSON body {@code {"code","message"}}: codes {@code bad_request},
 * {@code unauthorized}, {@code not_found}, {@code too_large}, {@code internal}.
 */
public final class MediaService implements HttpService, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MediaService.class);
    static final String CACHE_CONTROL = "public, max-age=31536000, immutable";
    private static final HeaderName WWW_AUTHENTICATE = HeaderNames.create("WWW-Authenticate");

    private final BlobStore store;
    private final TokenVerifier tokens;
    private final long maxBytes;
    private final HotTier hot;
    private final AssetsMetrics metrics;

    public MediaService(BlobStore store, TokenVerifier tokens, long maxBytes, HotTier hot, AssetsMetrics metrics) {
        this.store = store;
        this.tokens = tokens;
        this.maxBytes = maxBytes;
        this.hot = hot;
        this.metrics = metrics;
    }

    /** A service over a {@link FileBlobStore} in {@code config.storeDir()}, HS256 tokens from config. */
    public static MediaService create(AssetsConfig config) throws IOException {
        return create(config, new Hs256Tokens(config.tokenSecret()));
    }

    /** As {@link #create(AssetsConfig)} with another token verifier (RS256/JWKS, the edge's own). */
    public static MediaService create(AssetsConfig config, TokenVerifier tokens) throws IOException {
        BlobStore store = new FileBlobStore(config.storeDir());
        HotTier hot = new HotTier(config.hotRequests(), config.hotWindow(), config.hotCacheBytes());
        return new MediaService(store, tokens, config.maxBytes(), hot, new AssetsMetrics(hot::cachedBytes));
    }

    public BlobStore store() {
        return store;
    }

    public HotTier hotTier() {
        return hot;
    }

    public AssetsMetrics metrics() {
        return metrics;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.head("/{id}", this::head)
                .put("/{id}", this::put)
                .get("/{id}", this::get);
    }

    private void head(ServerRequest req, ServerResponse res) throws IOException {
        String id = req.path().pathParameters().get("id");
        if (!Ids.isMediaId(id)) {
            res.status(Status.BAD_REQUEST_400).send();
            return;
        }
        OptionalLong size = store.size(id);
        if (size.isEmpty()) {
            res.status(Status.NOT_FOUND_404).send();
            return;
        }
        metrics.dedupHit();
        cacheHeaders(res, id);
        res.header(HeaderNames.CONTENT_LENGTH, Long.toString(size.getAsLong()));
        res.send();
    }

    private void put(ServerRequest req, ServerResponse res) throws IOException {
        String id = req.path().pathParameters().get("id");
        if (!Ids.isMediaId(id)) {
            metrics.rejected("bad_request");
            error(res, Status.BAD_REQUEST_400, "bad_request", "the id must be the lowercase hex SHA-256 of the content");
            return;
        }
        Optional<VerifiedToken> user = authenticate(req);
        if (user.isEmpty()) {
            metrics.rejected("unauthorized");
            res.header(WWW_AUTHENTICATE, "Bearer");
            error(res, Status.UNAUTHORIZED_401, "unauthorized", "a valid bearer token is required to upload");
            return;
        }
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > maxBytes) {
            tooLarge(res);
            return;
        }
        OptionalLong existing = store.size(id);
        if (existing.isPresent()) {
            alreadyStored(res, id, existing.getAsLong());
            return;
        }
        PutOutcome outcome;
        try (InputStream body = req.content().inputStream()) {
            outcome = store.put(id, body, maxBytes);
        } catch (IOException e) {
            // the store failed (disk full, permissions); a client that went away never reads this
            LOG.error("storing {} failed", id, e);
            if (!res.isSent()) {
                error(res, Status.INTERNAL_SERVER_ERROR_500, "internal", "the blob could not be stored");
            }
            return;
        }
        switch (outcome) {
            case PutOutcome.Created c -> {
                metrics.created(c.size());
                LOG.debug("stored {} ({} bytes) for {}", id, c.size(), user.get().user());
                res.status(Status.CREATED_201);
                res.header(HeaderNames.LOCATION, req.path().absolute().path());
                json(res, new Stored(id, c.size()));
            }
            case PutOutcome.AlreadyStored a -> alreadyStored(res, id, a.size());
            case PutOutcome.Mismatch m -> {
                metrics.rejected("mismatch");
                error(res, Status.BAD_REQUEST_400, "bad_request",
                        "content hashes to " + m.actualId() + ", not to the id in the path");
            }
            case PutOutcome.TooLarge t -> tooLarge(res);
        }
    }

    private void get(ServerRequest req, ServerResponse res) throws IOException {
        String id = req.path().pathParameters().get("id");
        if (!Ids.isMediaId(id)) {
            error(res, Status.BAD_REQUEST_400, "bad_request", "the id must be the lowercase hex SHA-256 of the content");
            return;
        }
        OptionalLong found = store.size(id);
        if (found.isEmpty()) {
            error(res, Status.NOT_FOUND_404, "not_found", "no media with this id");
            return;
        }
        long size = found.getAsLong();
        cacheHeaders(res, id);
        if (req.headers().first(HeaderNames.IF_NONE_MATCH).map(v -> ETags.matches(v, id)).orElse(false)) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        Optional<String> rangeHeader = req.headers().first(HeaderNames.RANGE);
        Optional<String> ifRange = req.headers().first(HeaderNames.IF_RANGE);
        if (ifRange.isPresent() && !ETags.matches(ifRange.get(), id)) {
            rangeHeader = Optional.empty();
        }
        long first = 0;
        long length = size;
        switch (ByteRange.parse(rangeHeader, size)) {
            case ByteRange.Whole w -> res.status(Status.OK_200);
            case ByteRange.Partial p -> {
                res.status(Status.PARTIAL_CONTENT_206);
                res.header(HeaderNames.CONTENT_RANGE, p.range().contentRange(size));
                first = p.range().first();
                length = p.range().length();
            }
            case ByteRange.Unsatisfiable u -> {
                res.header(HeaderNames.CONTENT_RANGE, "bytes */" + size);
                error(res, Status.REQUESTED_RANGE_NOT_SATISFIABLE_416, "bad_request", "range not satisfiable");
                return;
            }
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/octet-stream");
        byte[] cached = hot.get(id);
        boolean isHot = hot.recordRequest(id);
        if (cached == null && isHot && hot.admits(size)) {
            try (InputStream in = store.open(id, 0, size)) {
                cached = in.readAllBytes();
            }
            hot.put(id, cached);
        }
        if (cached != null) {
            metrics.downloaded(length, true);
            res.send(cached, (int) first, (int) length);
            return;
        }
        res.header(HeaderNames.CONTENT_LENGTH, Long.toString(length));
        try (InputStream in = store.open(id, first, length); OutputStream out = res.outputStream()) {
            in.transferTo(out);
        }
        metrics.downloaded(length, false);
    }

    private Optional<VerifiedToken> authenticate(ServerRequest req) {
        Optional<String> header = req.headers().first(HeaderNames.AUTHORIZATION);
        if (header.isEmpty() || !header.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        try {
            return Optional.of(tokens.verify(header.get().substring(7).trim()));
        } catch (InvalidTokenException e) {
            return Optional.empty();
        }
    }

    private void alreadyStored(ServerResponse res, String id, long size) {
        metrics.dedupHit();
        res.status(Status.OK_200);
        json(res, new Stored(id, size));
    }

    private void tooLarge(ServerResponse res) {
        metrics.rejected("too_large");
        error(res, Status.REQUEST_ENTITY_TOO_LARGE_413, "too_large", "uploads are limited to " + maxBytes + " bytes");
    }

    private static void cacheHeaders(ServerResponse res, String id) {
        res.header(HeaderNames.ETAG, ETags.of(id));
        res.header(HeaderNames.CACHE_CONTROL, CACHE_CONTROL);
        res.header(HeaderNames.ACCEPT_RANGES, "bytes");
    }

    /** Body of a successful PUT. */
    public record Stored(String id, long size) {
    }

    /** Body of every error response. */
    public record ErrorBody(String code, String message) {
    }

    private static void error(ServerResponse res, Status status, String code, String message) {
        res.status(status);
        json(res, new ErrorBody(code, message));
    }

    private static void json(ServerResponse res, Object body) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(body));
    }

    @Override
    public void close() {
        metrics.close();
    }
}
