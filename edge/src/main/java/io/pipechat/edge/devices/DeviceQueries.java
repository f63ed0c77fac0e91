package io.pipechat.edge.devices;

import io.pipechat.protocol.DeviceInfo;
import io.pipechat.protocol.events.Delivery;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Questions this edge asked the router about users' devices, waiting for the answer on this edge's
 * delivery partition ({@link Delivery.Devices} naming the request). A request that is never answered
 * is removed by whoever gave up on it ({@link #forget}).
 */
public final class DeviceQueries {
    private final Map<String, CompletableFuture<List<DeviceInfo>>> pending = new ConcurrentHashMap<>();

    /** A new request id and the future its answer completes. */
    public Query open() {
        String id = UUID.randomUUID().toString();
        CompletableFuture<List<DeviceInfo>> answer = new CompletableFuture<>();
        pending.put(id, answer);
        return new Query(id, answer);
    }

    public void forget(String request) {
        pending.remove(request);
    }

    /** Told of every devices delivery; completes the query it answers, if it is one of ours. */
    public void answered(Delivery.Devices devices) {
        if (devices.request() != null) {
            CompletableFuture<List<DeviceInfo>> answer = pending.remove(devices.request());
            if (answer != null) {
                answer.complete(devices.devices());
            }
        }
    }

    public record Query(String request, CompletableFuture<List<DeviceInfo>> answer) {
    }
}
