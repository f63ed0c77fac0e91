#!/usr/bin/env bash
# As in apache/kafka: kafka-topics.sh --bootstrap-server HOST:PORT --describe ... (ComposeCheck asks it
# which broker leads a partition).
exec java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Dlogback.configurationFile=/opt/kafka/config/logback-tools.xml -cp '/opt/kafka/libs/*' \
  org.apache.kafka.tools.TopicCommand "$@"
