#!/usr/bin/env bash
# Builds module local (and what it needs), then runs the given main class on its runtime classpath:
#   scripts/run-main.sh io.pipechat.local.LocalMain [args]     (what ./run.sh does)
# Extra JVM flags: PIPECHAT_JAVA_OPTS. Further modules to build first: PIPECHAT_BUILD_MODULES (comma-separated).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/java-home.sh
main="$1"
shift
echo "building (first run downloads dependencies)..."
./mvnw -q -B -DskipTests -pl "local${PIPECHAT_BUILD_MODULES:+,$PIPECHAT_BUILD_MODULES}" -am package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
JVM_FLAGS=(--enable-native-access=ALL-UNNAMED)
if [ "$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')" -ge 24 ]; then
  JVM_FLAGS+=(--sun-misc-unsafe-memory-access=allow)
fi
exec "$JAVA_HOME/bin/java" "${JVM_FLAGS[@]}" ${PIPECHAT_JAVA_OPTS:-} \
  -cp "local/target/classes:$(cat local/target/classpath.txt)" "$main" "$@"
