package io.pipechat.edge.devices;

import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pipechat.edge.auth.Authenticated;
import io.pipechat.edge.auth.Errors;
import io.pipechat.edge.delivery.EventPublisher;
import io.pipechat.protocol.DeviceInfo;
import io.pipechat.protocol.Ids;
import io.pipechat.protocol.Json;
import io.pipechat.protocol.auth.TokenVerifier;
import io.pipechat.protocol.events.UserEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code /v1/devices}: the caller's registered devices. The router keeps them (devices register with
 * their first connection), so a listing is a question to the router through {@code chat.user-events}
 * and its answer comes back on this edge's delivery partition; a removal is an event the router
 * applies (the device's sessions are closed with 4410 and its cursor stops holding the mailbox).
 *
 * <pre>
 *   GET    /v1/devices            200 [{"device", "lastSeen", "online"}]   (503 if the router does not answer in time)
 *   DELETE /v1/devices/{device}   202 (the router removes it; unknown devices are ignored)
 * </pre>
 */
public final class DeviceService implements HttpService {
    private final TokenVerifier tokens;
    private final EventPublisher publisher;
    private final DeviceQueries queries;
    private final int edge;
    private final Duration timeout;

    public DeviceService(TokenVerifier tokens, EventPublisher publisher, DeviceQueries queries, int edge, Duration timeout) {
        this.tokens = tokens;
        this.publisher = publisher;
        this.queries = queries;
        this.edge = edge;
        this.timeout = timeout;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", Authenticated.handler(tokens, this::list))
                .delete("/{device}", Authenticated.handler(tokens, this::remove));
    }

    private void list(String user, ServerRequest req, ServerResponse res) {
        DeviceQueries.Query q = queries.open();
        try {
            publisher.publish(new UserEvent.DevicesQuery(user, q.request(), edge, System.currentTimeMillis()))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<DeviceInfo> devices = q.answer().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            res.header(HeaderValues.CONTENT_TYPE_JSON);
            res.send(Json.write(devices));
        } catch (TimeoutException | ExecutionException e) {
            Errors.send(res, Status.SERVICE_UNAVAILABLE_503, "unavailable", "the device list is not available now; try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Errors.send(res, Status.SERVICE_UNAVAILABLE_503, "unavailable", "interrupted");
        } finally {
            queries.forget(q.request());
        }
    }

    private void remove(String user, ServerRequest req, ServerResponse res) {
        String device = req.path().pathParameters().get("device");
        if (!Ids.isDevice(device)) {
            Errors.send(res, Status.BAD_REQUEST_400, "bad_request", "bad device: 1-64 characters of [A-Za-z0-9._-]");
            return;
        }
        try {
            publisher.publish(new UserEvent.DeviceRemoved(user, device, System.currentTimeMillis()))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            res.status(Status.ACCEPTED_202).send();
        } catch (TimeoutException | ExecutionException e) {
            Errors.send(res, Status.SERVICE_UNAVAILABLE_503, "unavailable", "not stored; try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Errors.send(res, Status.SERVICE_UNAVAILABLE_503, "unavailable", "interrupted");
        }
    }
}
