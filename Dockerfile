# syntax=docker/dockerfile:1
# One multi-stage Dockerfile for every pipechat service (see docker-compose.yml):
#   docker build --target service   --build-arg MODULE=edge --build-arg MAIN_CLASS=io.pipechat.edge.Main -t pipechat/edge .
#   docker build --target flink-job -t pipechat/flink-groups-job .
# The build stage does not depend on the build args, so BuildKit builds the Maven reactor once and
# every service image reuses it.

# Pinned tags (a floating "25-jdk" changes under a rebuild).
ARG JDK_IMAGE=eclipse-temurin:25.0.1_8-jdk
ARG JRE_IMAGE=eclipse-temurin:25.0.1_8-jre
ARG FLINK_IMAGE=flink:2.2.0-java21

FROM ${JDK_IMAGE} AS build
WORKDIR /src
COPY . .
# Service jars with their runtime dependencies in target/lib, then the Flink job jar
# (flink-groups -Pcluster: Flink itself `provided`, shaded to *-cluster.jar).
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -DskipTests -pl edge,streams-router,cdc,assets,notifier,tools -am \
        package dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib \
 && ./mvnw -B -q -DskipTests -Pcluster -pl flink-groups -am package \
 && for m in edge streams-router cdc assets notifier tools; do \
        mkdir -p /out/$m \
        && cp "$(ls $m/target/$m-*.jar | grep -v -e '-tests' -e '-sources' | head -n 1)" /out/$m/app.jar \
        && cp -r $m/target/lib /out/$m/lib; \
    done \
 && mkdir -p /out/flink-groups && cp flink-groups/target/flink-groups-*-cluster.jar /out/flink-groups/flink-groups.jar

# A pipechat service: MODULE picks the jars, MAIN_CLASS the entry point. Arguments after the image
# name (compose `command:`) go to the main class. Configuration comes from the environment.
FROM ${JRE_IMAGE} AS service
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app pipechat \
 && mkdir -p /data && chown pipechat /data
ARG MODULE
ARG MAIN_CLASS
COPY --from=build /out/${MODULE}/ /app/
ENV MAIN_CLASS=${MAIN_CLASS} \
    JAVA_OPTS="-XX:MaxRAMPercentage=75 --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
USER pipechat
WORKDIR /data
ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS -cp '/app/app.jar:/app/lib/*' \"$MAIN_CLASS\" \"$@\"", "--"]

# The client that submits the flink-groups job to the JobManager (official Flink image + job jar).
FROM ${FLINK_IMAGE} AS flink-job
COPY --from=build /out/flink-groups/flink-groups.jar /opt/flink/usrlib/flink-groups.jar
COPY deploy/flink/submit-groups-job.sh /opt/flink/bin/submit-groups-job.sh
ENTRYPOINT ["/bin/bash", "/opt/flink/bin/submit-groups-job.sh"]
