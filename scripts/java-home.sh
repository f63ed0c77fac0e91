# Sourced by scripts and CI: points JAVA_HOME at a JDK 21 or newer (Helidon 4 needs it).
# Keeps a JAVA_HOME that is already new enough; otherwise takes the newest JDK under /usr/lib/jvm.
_java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(_java_major "$JAVA_HOME")" -lt 21 ] 2>/dev/null; then
  JAVA_HOME=""
  for jdk in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    if [ -x "$jdk/bin/javac" ] && [ "$(_java_major "$jdk")" -ge 21 ] 2>/dev/null; then JAVA_HOME="$jdk"; break; fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "No JDK 21+ found: install one (Temurin 25 works) and set JAVA_HOME." >&2
    exit 1
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
