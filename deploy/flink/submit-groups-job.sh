#!/usr/bin/env bash
# Submits the flink-groups job to the session cluster at $JOBMANAGER (host:port) unless a job of
# that name is already running, so `docker compose up` can run it again safely. Arguments are
# passed to GroupsJobMain as key=value pairs (bootstrap-servers=..., parallelism=...,
# flink.execution.checkpointing.dir=...).
set -euo pipefail
JOBMANAGER="${JOBMANAGER:-jobmanager:8081}"
JOB_NAME="pipechat-flink-groups"
for attempt in $(seq 1 60); do
  if running=$(flink list -m "$JOBMANAGER" -r 2>/dev/null); then
    break
  fi
  echo "waiting for the JobManager at $JOBMANAGER ($attempt)"
  sleep 2
done
if grep -q "$JOB_NAME" <<<"${running:-}"; then
  echo "$JOB_NAME is already running:"
  echo "$running"
  exit 0
fi
exec flink run -d -m "$JOBMANAGER" -c io.pipechat.groups.GroupsJobMain /opt/flink/usrlib/flink-groups.jar "$@"
