#!/usr/bin/env bash
# The official flink image's entry point, as far as docker-compose.yml uses it: `jobmanager` runs a
# standalone session cluster's JobManager, `taskmanager` a TaskManager; FLINK_PROPERTIES (YAML lines)
# go into config.yaml after the image's defaults, which bind every server to the container's address.
# JVM memory comes from Flink's own calculation (BashJavaUtils, as bin/config.sh does), so the
# *.memory.* settings work as with flink-dist.
set -euo pipefail
source /opt/flink/bin/config.sh
role="${1:-}"
shift || true

defaults=(
  "jobmanager.rpc.address: jobmanager"
  "jobmanager.bind-host: 0.0.0.0"
  "jobmanager.memory.process.size: 1600m"
  "taskmanager.bind-host: 0.0.0.0"
  "taskmanager.host: $(hostname -i | cut -d' ' -f1)"
  "taskmanager.memory.process.size: 1728m"
  "taskmanager.numberOfTaskSlots: 1"
  "rest.address: 0.0.0.0"
  "rest.bind-address: 0.0.0.0"
  "blob.server.port: 6124"
  "query.server.port: 6125"
  "parallelism.default: 1"
)
{
  for line in "${defaults[@]}"; do
    # a key FLINK_PROPERTIES sets wins (YAML refuses a key twice)
    grep -q "^${line%%:*}:" <<<"${FLINK_PROPERTIES:-}" || echo "$line"
  done
  echo "${FLINK_PROPERTIES:-}" | grep -v '^[[:space:]]*#' || true
} > "$conf/config.yaml"

# Prints the JVM options, then the dynamic settings, of Flink's memory model for this role.
resource_params() {
  java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlogback.configurationFile=$conf/logback-tools.xml \
    -cp "$classpath" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$conf" \
    | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' | tail -n 2
}

case "$role" in
  jobmanager)
    mapfile -t params < <(resource_params GET_JM_RESOURCE_PARAMS)
    # shellcheck disable=SC2086 # the two lines are word lists
    exec java ${params[0]} "${java_opts[@]}" -Dlogback.configurationFile=$conf/logback.xml -cp "$classpath" \
      org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint --configDir "$conf" ${params[1]} "$@"
    ;;
  taskmanager)
    mapfile -t params < <(resource_params GET_TM_RESOURCE_PARAMS)
    # shellcheck disable=SC2086
    exec java ${params[0]} "${java_opts[@]}" -Dlogback.configurationFile=$conf/logback.xml -cp "$classpath" \
      org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir "$conf" ${params[1]} "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
