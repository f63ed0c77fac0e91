#!/usr/bin/env bash
# Builds what it needs and starts pipechat as a multi-process cluster on this machine, no Docker:
# 3 Kafka brokers, MariaDB, Debezium on 2 Kafka Connect workers, the group job on a Flink session
# cluster (JobManager + TaskManager), 2 routers, 2 edges and the notifier, each its own process
# (docs/OPERATIONS.md "A cluster without Docker"). Arguments: scripts/cluster.sh --help
# cluster-flink and cluster-connect hold the Flink and Connect classpaths and the job jar.
PIPECHAT_BUILD_MODULES=cluster-flink,cluster-connect exec "$(dirname "$0")/run-main.sh" \
  io.pipechat.local.cluster.ClusterMain "$@"
