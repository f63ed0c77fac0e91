#!/usr/bin/env bash
# Builds what it needs and starts the whole stack in one JVM (Kafka broker, router, edge...).
# Arguments go to the stack: ./run.sh --help
set -euo pipefail
cd "$(dirname "$0")"
source scripts/java-home.sh
echo "building (first run downloads dependencies)..."
./mvnw -q -B -DskipTests -pl local -am package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
JVM_FLAGS=(--enable-native-access=ALL-UNNAMED)
if [ "$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')" -ge 24 ]; then
  JVM_FLAGS+=(--sun-misc-unsafe-memory-access=allow)
fi
exec "$JAVA_HOME/bin/java" "${JVM_FLAGS[@]}" ${PIPECHAT_JAVA_OPTS:-} \
  -cp "local/target/classes:$(cat local/target/classpath.txt)" io.pipechat.local.LocalMain "$@"
