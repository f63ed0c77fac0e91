#!/usr/bin/env bash
# As in apache/kafka: kafka-broker-api-versions.sh --bootstrap-server HOST:PORT (the compose health check).
# A small client JVM, started as cheaply as it can be: it runs every 10 s on each broker.
exec java -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
  -Dlogback.configurationFile=/opt/kafka/config/logback-tools.xml -cp '/opt/kafka/libs/*' \
  org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
