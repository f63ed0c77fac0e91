#!/usr/bin/env bash
# Runs every scenario RUNS times (default 3) against a running stack and prints the medians.
#   ./run.sh --fresh --data-dir /tmp/bench-stack/data --port 18480 --kafka-port 19492 &   # the stack
#   bench/scripts/run-benchmarks.sh http://127.0.0.1:18480 <stack pid> /tmp/bench-out/runs [scenario...]
# Each scenario stops by itself (bounded duration); results are JSON files in the output directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
URL=${1:-http://127.0.0.1:8080}
PID=${2:--1}
OUT=${3:-bench-results}
shift 3 || true
SCENARIOS=${*:-connections direct offline groups sweep}
RUNS=${RUNS:-3}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
JAR=bench/target/bench-0.1.0-SNAPSHOT.jar
mkdir -p "$OUT"
settle() { # wait until the stack has no backlog: the edge's delivery counter stops moving
  local a b
  a=$(curl -s "$URL/observe/metrics" | awk '/^pipechat_edge_deliveries_total/ {print $2}')
  while sleep 5; b=$(curl -s "$URL/observe/metrics" | awk '/^pipechat_edge_deliveries_total/ {print $2}'); [ "$a" != "$b" ]; do a=$b; done
}
run() { # name i args...
  local name=$1 i=$2; shift 2
  settle
  echo "== $name run $i: bench $* (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$JAVA" -Xmx4g -jar "$JAR" "$@" --url "$URL" --pid "$PID" --out "$OUT/$name-$i.json" --report "$OUT/$name-$i.html" \
    > "$OUT/$name-$i.log" 2>&1 || echo "   (exit $?: see $OUT/$name-$i.log)"
  sed -n '/^== /,$p' "$OUT/$name-$i.log" | grep -v '^result:\|^report:'
}
for s in $SCENARIOS; do
  for i in $(seq 1 "$RUNS"); do
    case $s in
      connections) run connections "$i" connections -n 18000 -r 1000 --hold 20 --source-addresses 2 ;;
      direct)      run direct "$i" direct -u 1000 -r 1000 -d 20 --warmup 5 ;;
      offline)     run offline "$i" offline -m 10000 --rounds 3 ;;
      groups)      run groups "$i" groups -g 2 -m 1024 --senders 10 -r 4 -d 20 ;;
      sweep)       run sweep "$i" sweep -u 1000 --start-rate 500 --factor 1.5 --step-seconds 10 --p99-ms 500 ;;
      *) echo "unknown scenario $s"; exit 2 ;;
    esac
  done
done
