package io.pipechat.cdc;

import java.lang.management.ManagementFactory;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * What the running connector task does, read from the JMX metrics Debezium registers for it in this JVM:
 * {@code debezium.<mariadb|mysql>:type=connector-metrics,context=snapshot,server=<topic prefix>}
 * (attribute {@code SnapshotRunning}) and {@code ...,context=streaming,...} ({@code Connected}: the
 * binlog client's connection). Debezium registers them when the task starts and removes them when it
 * stops; one engine per connector type and topic prefix per JVM, as Debezium requires anyway.
 */
final class ConnectorPhase {
    enum Phase {
        /** Debezium's metrics are not (or no longer) registered: nothing known beyond the task's state. */
        UNKNOWN,
        /** Neither snapshotting nor connected to the binlog yet. */
        CONNECTING,
        /** Reading the tables (first start). */
        SNAPSHOT,
        /** Connected to the binlog. */
        STREAMING,
        /** Was streaming, lost the binlog connection (Debezium reconnects). */
        DISCONNECTED
    }

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final ObjectName snapshot;
    private final ObjectName streaming;
    private volatile boolean connectedOnce;

    ConnectorPhase(CdcConfig config) {
        String prefix = "debezium." + config.connector().configName() + ":type=connector-metrics,context=";
        String server = ",server=" + config.topicPrefix();
        try {
            snapshot = new ObjectName(prefix + "snapshot" + server);
            streaming = new ObjectName(prefix + "streaming" + server);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("no JMX name for topic prefix " + config.topicPrefix(), e);
        }
    }

    Phase read() {
        Boolean snapshotRunning = flag(snapshot, "SnapshotRunning");
        Boolean connected = flag(streaming, "Connected");
        if (snapshotRunning == null && connected == null) {
            return Phase.UNKNOWN;
        }
        if (Boolean.TRUE.equals(snapshotRunning)) {
            return Phase.SNAPSHOT;
        }
        if (Boolean.TRUE.equals(connected)) {
            connectedOnce = true;
            return Phase.STREAMING;
        }
        return connectedOnce ? Phase.DISCONNECTED : Phase.CONNECTING;
    }

    private Boolean flag(ObjectName name, String attribute) {
        try {
            return server.getAttribute(name, attribute) instanceof Boolean b ? b : null;
        } catch (InstanceNotFoundException e) {
            return null;
        } catch (JMException | RuntimeException e) {
            return null;
        }
    }
}
