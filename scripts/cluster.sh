#!/usr/bin/env bash
# Builds what it needs and starts pipechat as a multi-process cluster on this machine, no Docker:
# 3 Kafka brokers, MariaDB, CDC, the Flink group job, 2 routers, 2 edges and the notifier, each its
# own process (docs/OPERATIONS.md "A cluster without Docker"). Arguments: scripts/cluster.sh --help
exec "$(dirname "$0")/run-main.sh" io.pipechat.local.cluster.ClusterMain "$@"
