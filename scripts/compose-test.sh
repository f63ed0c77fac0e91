#!/usr/bin/env bash
# Boots docker-compose.yml on this machine and checks it through nginx (docs/OPERATIONS.md "Testing the
# compose deployment"). CI runs it from .ci/run after the Maven build; it works by hand as well.
#
#   1. starts dockerd if none answers (Debian's docker.io), stopped again at the end;
#   2. makes the base image pipechat-ci/debian:bookworm with debootstrap, once (kept by dockerd);
#   3. packages the service jars with Maven (tests skipped: after `./mvnw verify` it only
#      repackages), the flink-groups cluster jar, the Kafka and Flink stand-ins' jars, a jlinked JDK;
#   4. builds the images of docker-compose.yml + deploy/ci/docker-compose.ci.yml and `up`s the stack
#      with fresh secrets, as project pipechat-ci;
#   5. runs the checker (module compose-tests, io.pipechat.compose.ComposeCheck) against nginx: one-to-one
#      and group chat, media, a push, then docker kill of the TaskManager, the JobManager, an edge, a
#      router and a broker during traffic, every `sent` message delivered once and in order;
#   6. tears the stack down with its volumes (also on failure), printing the logs of failing containers.
#
# Options: --keep (leave the stack and dockerd running for a look; tear down later with --down),
#          --down (only tear down), --no-maven (use the jars already built), --no-check (boot only).
# Prints the time of each phase; exits non-zero with the reason when any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source scripts/java-home.sh

PROJECT=pipechat-ci
STAGE="$ROOT/target/compose-ci"
BASE_IMAGE=pipechat-ci/debian:bookworm
JARS_IMAGE=pipechat-ci/jars:latest
SERVICES=(edge streams-router cdc assets notifier tools compose-tests)
HTTP_PORT="${PIPECHAT_CI_HTTP_PORT:-18080}"
KEEP=false MAVEN=true CHECK=true DOWN_ONLY=false
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=true ;;
    --down) DOWN_ONLY=true ;;
    --no-maven) MAVEN=false ;;
    --no-check) CHECK=false ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $arg (--help)" >&2; exit 2 ;;
  esac
done

trap 'echo "compose-test: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
# The module's own jar (not its -tests or -sources jar).
app_jar() { ls "$1"/target/"$1"-*.jar | grep -v -e '-tests\.jar$' -e '-sources\.jar$' | head -n 1; }
log() { printf '[compose-test %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
phase_start=$(date +%s)
timings=()
CURRENT="starting dockerd"
phase() {
  local now; now=$(date +%s)
  CURRENT="after $1"
  timings+=("$1: $((now - phase_start)) s")
  phase_start=$now
}

mkdir -p "$STAGE"
compose() {
  docker-compose -p "$PROJECT" --env-file "$STAGE/ci.env" -f docker-compose.yml -f deploy/ci/docker-compose.ci.yml "$@"
}

# --- 1. dockerd -----------------------------------------------------------------------------------
STARTED_DOCKERD=""
if ! docker info > /dev/null 2>&1; then
  log "starting dockerd (log: $STAGE/dockerd.log)"
  dockerd > "$STAGE/dockerd.log" 2>&1 &
  STARTED_DOCKERD=$!
  for _ in $(seq 1 60); do
    docker info > /dev/null 2>&1 && break
    sleep 0.5
  done
  docker info > /dev/null 2>&1 || { echo "dockerd did not come up:"; tail -n 30 "$STAGE/dockerd.log"; exit 1; }
fi

stop_dockerd() {
  if [ -n "$STARTED_DOCKERD" ] && [ "$KEEP" = false ]; then
    log "stopping the dockerd this script started (pid $STARTED_DOCKERD)"
    kill "$STARTED_DOCKERD" 2>/dev/null || true
    wait "$STARTED_DOCKERD" 2>/dev/null || true
  fi
}

teardown() {
  log "tearing down $PROJECT (containers, networks, volumes)"
  [ -f "$STAGE/ci.env" ] || : > "$STAGE/ci.env"
  compose down --volumes --remove-orphans --timeout 5 > "$STAGE/down.log" 2>&1 || cat "$STAGE/down.log"
  # Each build replaces the jars image and ours; the images they replaced are left untagged (GBs a run).
  docker image prune -f > /dev/null 2>&1 || true
}

if [ "$DOWN_ONLY" = true ]; then
  teardown
  stop_dockerd
  exit 0
fi

# Logs of every container that is not running and healthy, or of all with "all".
print_logs() {
  local ids; ids=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
  for id in $ids; do
    local name state health
    name=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$id")
    state=$(docker inspect -f '{{.State.Status}} exit={{.State.ExitCode}}' "$id")
    health=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
    if [ "${1:-}" = all ] || [[ "$state" != "running exit=0" && "$state" != "exited exit=0" ]] || [ "$health" = unhealthy ] \
        || { [ "$health" = starting ] && [ "${1:-}" = starting ]; }; then
      echo "=================== $name ($state${health:+, $health}): last 80 lines ==================="
      docker logs --tail 80 "$id" 2>&1 || true
    fi
  done
}

finish() {
  local rc=$?
  trap - EXIT
  if [ $rc -ne 0 ]; then
    mkdir -p "$STAGE/logs"
    for id in $(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"); do
      docker logs "$id" > "$STAGE/logs/$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$id").log" 2>&1 || true
    done
    echo "the whole log of every container: $STAGE/logs/" >&2
    if [ "$CURRENT" = checks ]; then
      echo "compose test FAILED in the checks (exit $rc); the logs of every container:" >&2
      print_logs all >&2 || true
    else
      echo "compose test FAILED (exit $rc) while: $CURRENT; containers that are not running or not healthy:" >&2
      print_logs starting >&2 || true
    fi
    docker ps -a --filter "label=com.docker.compose.project=$PROJECT" --format 'table {{.Names}}\t{{.Status}}' >&2 || true
  fi
  if [ "$KEEP" = true ]; then
    log "--keep: the stack stays up (http://127.0.0.1:$HTTP_PORT); scripts/compose-test.sh --down removes it"
  else
    teardown
    phase teardown
    stop_dockerd
  fi
  log "timings: ${timings[*]}"
  exit $rc
}
trap finish EXIT

# A stack left by an earlier --keep would compete for the CPU with the build.
[ -f "$STAGE/ci.env" ] && { compose down --volumes --remove-orphans --timeout 5 > /dev/null 2>&1 || true; }

# --- 2. base image ----------------------------------------------------------------------------------
if docker image inspect "$BASE_IMAGE" > /dev/null 2>&1; then
  log "base image $BASE_IMAGE is there"
else
  command -v debootstrap > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap > /dev/null; }
  mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  rootfs=$(mktemp -d)
  log "debootstrap --variant=minbase bookworm (${mirror:-http://deb.debian.org/debian}), about a minute"
  debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" > "$STAGE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$STAGE/debootstrap.log"; exit 1; }
  tar -C "$rootfs" -c . | docker import - "$BASE_IMAGE" > /dev/null
  rm -rf "$rootfs"
fi
phase "dockerd and base image"

# --- 3. jars ------------------------------------------------------------------------------------------
if [ "$MAVEN" = true ]; then
  # Not offline: on a new machine the stand-ins' jars (kafka-tools, the RocksDB state backend) are not in
  # ~/.m2 yet, as nothing else builds them; what is there is not fetched again.
  log "packaging the services (Maven, tests skipped)"
  modules=$(IFS=,; echo "${SERVICES[*]}")
  ./mvnw -B -q -DskipTests -pl "$modules" -am package dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory=target/lib
  ./mvnw -B -q -DskipTests -Pcluster -pl flink-groups -am package
  for stand_in in kafka flink; do
    rm -rf "$STAGE/$stand_in-libs"
    ./mvnw -B -q -f "deploy/ci/$stand_in/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$STAGE/$stand_in-libs"
  done
fi
jars="$STAGE/jars"
rm -rf "$jars" && mkdir -p "$jars/out"
for m in "${SERVICES[@]}"; do
  jar=$(app_jar "$m")
  mkdir -p "$jars/out/$m" && cp -l "$jar" "$jars/out/$m/app.jar" && cp -al "$m/target/lib" "$jars/out/$m/lib"
done
mkdir -p "$jars/out/flink-groups" && cp -l flink-groups/target/flink-groups-*-cluster.jar "$jars/out/flink-groups/flink-groups.jar"
mkdir -p "$jars/kafka" "$jars/flink" && cp -al "$STAGE/kafka-libs" "$jars/kafka/libs" && cp -al "$STAGE/flink-libs" "$jars/flink/lib"
# A Java runtime from the build's JDK (Debian ships only 17), made once per JDK version.
jdk_version=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')
jre="$STAGE/jre-$jdk_version"
if [ ! -x "$jre/bin/java" ]; then
  log "jlink a runtime from $JAVA_HOME ($jdk_version)"
  available=$("$JAVA_HOME/bin/java" --list-modules | sed 's/@.*//')
  wanted=(java.se jdk.unsupported jdk.crypto.ec jdk.crypto.cryptoki jdk.httpserver jdk.management jdk.management.agent
          jdk.management.jfr jdk.jfr jdk.naming.dns jdk.zipfs jdk.net jdk.security.auth jdk.security.jgss jdk.charsets jdk.jcmd)
  modules=$(for m in "${wanted[@]}"; do grep -qx "$m" <<<"$available" && echo "$m"; done | paste -sd, -)
  rm -rf "$jre"
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --output "$jre"
fi
cp -al "$jre" "$jars/jre"
printf 'FROM scratch\nCOPY . /\n' > "$STAGE/jars.Dockerfile"
phase "jars"

# --- 4. images and up ---------------------------------------------------------------------------------
log "building the images"
docker build -q -f "$STAGE/jars.Dockerfile" -t "$JARS_IMAGE" "$jars" > "$STAGE/build.log" 2>&1 || { cat "$STAGE/build.log"; exit 1; }
compose_secrets() {
  # Fresh secrets per run: the services refuse the public placeholders of deploy/compose-validation.env.
  local pem; pem=$(mktemp)
  openssl ecparam -name prime256v1 -genkey -noout -out "$pem" 2> /dev/null
  local b64url='base64 -w0 | tr "/+" "_-" | tr -d "="'
  echo "PIPECHAT_TOKEN_SECRET=$(openssl rand -base64 48 | tr -d '\n')"
  echo "PIPECHAT_MYSQL_ROOT_PASSWORD=$(openssl rand -hex 16)"
  echo "PIPECHAT_DB_PASSWORD=$(openssl rand -hex 16)"
  echo "PIPECHAT_VAPID_PUBLIC_KEY=$(openssl ec -in "$pem" -pubout -outform DER 2> /dev/null | tail -c 65 | eval "$b64url")"
  echo "PIPECHAT_VAPID_PRIVATE_KEY=$(openssl ec -in "$pem" -outform DER 2> /dev/null | tail -c +8 | head -c 32 | eval "$b64url")"
  echo "PIPECHAT_DEV_MODE=true"
  echo "PIPECHAT_HTTP_PORT=127.0.0.1:$HTTP_PORT"
  rm -f "$pem"
}
compose_secrets > "$STAGE/ci.env"
compose down --volumes --remove-orphans --timeout 5 > /dev/null 2>&1 || true
compose build -q >> "$STAGE/build.log" 2>&1 || { tail -n 40 "$STAGE/build.log"; exit 1; }
phase "images"

log "docker-compose up (start order and health checks of docker-compose.yml)"
# A dependency that is still unhealthy when its health check runs out of retries (a slow host) makes
# `up` stop; an operator runs it again, and so does this, up to three times.
for attempt in 1 2 3; do
  compose up -d > "$STAGE/up.log" 2>&1 && break
  grep -v -e '^Creating' -e '^Starting' -e 'is up-to-date' "$STAGE/up.log" | tail -n 5
  [ "$attempt" = 3 ] && { echo "docker-compose up failed 3 times"; exit 1; }
  log "docker-compose up again (attempt $((attempt + 1)))"
  sleep 10
done
# up -d returns once the last service started; wait for the ones nothing waits on to be healthy too.
deadline=$(( $(date +%s) + 300 ))
while :; do
  unhealthy=$(docker ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}} {{.Status}}' \
    | grep -e '(health: starting)' -e '(unhealthy)' || true)
  exited=$(docker ps -a --filter "label=com.docker.compose.project=$PROJECT" --filter status=exited --format '{{.Names}} {{.Status}}' \
    | grep -v 'Exited (0)' || true)
  [ -n "$exited" ] && { echo "containers exited: $exited"; exit 1; }
  [ -z "$unhealthy" ] && break
  [ "$(date +%s)" -gt "$deadline" ] && { echo "not healthy after 5 minutes: $unhealthy"; exit 1; }
  sleep 3
done
compose ps
phase "boot"

# --- 5. checks ----------------------------------------------------------------------------------------
if [ "$CHECK" = true ]; then
  CURRENT=checks
  sink_port=$(compose port notifier 9700 | cut -d: -f2)
  log "checking through nginx (http://127.0.0.1:$HTTP_PORT; push sink on 127.0.0.1:$sink_port)"
  "$JAVA_HOME/bin/java" -cp "compose-tests/target/lib/*:$(app_jar compose-tests)" \
    -Dpipechat.compose.url="http://127.0.0.1:$HTTP_PORT" -Dpipechat.compose.project="$PROJECT" \
    -Dpipechat.compose.push-sink="http://127.0.0.1:$sink_port" \
    -Dpipechat.compose.vapid-public-key="$(sed -n 's/^PIPECHAT_VAPID_PUBLIC_KEY=//p' "$STAGE/ci.env")" \
    -Dpipechat.compose.report="$STAGE/recovery.txt" \
    io.pipechat.compose.ComposeCheck
  phase "checks"
fi
log "compose test passed"
