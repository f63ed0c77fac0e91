#!/usr/bin/env bash
# Builds what it needs and starts the whole stack in one JVM (Kafka broker, router, edge...).
# Arguments go to the stack: ./run.sh --help
exec "$(dirname "$0")/scripts/run-main.sh" io.pipechat.local.LocalMain "$@"
