#!/usr/bin/env bash
# Submits the flink-groups job to the session cluster at $JOBMANAGER (host:port) unless a job of that
# name is running, and then, with SUPERVISE_SECONDS > 0, stays and checks every that many
# seconds: the session cluster has no JobManager HA, so a restarted JobManager comes back without the
# job, and this submits it again, from the newest retained checkpoint under $CHECKPOINTS (the job's
# flink.execution.checkpointing.dir as a local path) when there is one. Arguments are passed to
# GroupsJobMain as key=value pairs (bootstrap-servers=..., parallelism=...,
# flink.execution.checkpointing.dir=...).
set -euo pipefail
JOBMANAGER="${JOBMANAGER:-jobmanager:8081}"
JOB_NAME="pipechat-flink-groups"
CHECKPOINTS="${CHECKPOINTS:-}"
SUPERVISE_SECONDS="${SUPERVISE_SECONDS:-0}"

# The JobManager's /jobs/overview (plain bash, no client JVM: this runs every few seconds), or failure.
overview() {
  local host="${JOBMANAGER%:*}" port="${JOBMANAGER##*:}"
  exec 3<>"/dev/tcp/$host/$port" || return 1
  printf 'GET /jobs/overview HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" >&3
  timeout 10 cat <&3
  exec 3<&-
}

# True when the job is there and not in a terminal state (FAILED, CANCELED, FINISHED).
job_alive() {
  grep -Eq "\"name\":\"$JOB_NAME\"[^}]*\"state\":\"(INITIALIZING|CREATED|RUNNING|RESTARTING|FAILING|CANCELLING|RECONCILING)\"" <<<"$1"
}

# True when the JobManager knows the job, in any state. While supervising, a FAILED or CANCELED job stays
# as it is (an operator's matter: restarting this container submits it again); only a job the
# JobManager has lost (it restarted) is submitted again.
job_known() {
  grep -q "\"name\":\"$JOB_NAME\"" <<<"$1"
}

submit() {
  local from=() newest=""
  if [ -n "$CHECKPOINTS" ]; then
    newest=$(ls -t "$CHECKPOINTS"/*/chk-*/_metadata 2>/dev/null | head -n 1 || true)
  fi
  if [ -n "$newest" ]; then
    echo "submitting $JOB_NAME from the retained checkpoint $(dirname "$newest")"
    from=(-s "$(dirname "$newest")")
  else
    echo "submitting $JOB_NAME (no retained checkpoint)"
  fi
  flink run -d -m "$JOBMANAGER" "${from[@]}" -c io.pipechat.groups.GroupsJobMain /opt/flink/usrlib/flink-groups.jar "$@"
}

jobs=""
for attempt in $(seq 1 60); do
  if jobs=$(overview 2>/dev/null) && grep -q '"jobs"' <<<"$jobs"; then
    break
  fi
  echo "waiting for the JobManager at $JOBMANAGER ($attempt)"
  sleep 2
done
if job_alive "$jobs"; then
  echo "$JOB_NAME is already running"
else
  submit "$@"
fi
[ "$SUPERVISE_SECONDS" -gt 0 ] || exit 0

echo "supervising $JOB_NAME every ${SUPERVISE_SECONDS}s"
while sleep "$SUPERVISE_SECONDS"; do
  # An unreachable JobManager (restarting) is not a reason to submit: only an answer without the job is.
  if jobs=$(overview 2>/dev/null) && grep -q '"jobs"' <<<"$jobs" && ! job_known "$jobs"; then
    echo "$JOBMANAGER does not know $JOB_NAME (the JobManager restarted)"
    submit "$@" || echo "submission failed; trying again in ${SUPERVISE_SECONDS}s"
  fi
done
