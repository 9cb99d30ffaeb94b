#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft, combined broker + controller) for local development and tests, run from
# Maven Central jars; see infra/local/README.md.
#
#   kafka.sh build    copy the broker's classpath to .cache/kafka/lib (no-op when up to date)
#   kafka.sh start    start the broker (or reuse $KAFKA_BOOTSTRAP_SERVERS if it answers), wait until a metadata
#                     call succeeds, print exactly one line on stdout: KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:PORT
#   kafka.sh stop     TERM the broker, KILL after 30 s; no-op when not running
#   kafka.sh status   print whether it is running (exit 1 when not)
#
# Everything lives under infra/local/.cache (git ignores it): m2/, kafka/lib/, data/kafka/, logs/kafka.log,
# run/kafka.{pid,env,properties}. Progress messages go to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/infra/local"
CACHE="$LOCAL/.cache"
M2="$CACHE/m2"
LIB="$CACHE/kafka/lib"
STAMP="$LIB/.built"
DATA="$CACHE/data/kafka"
LOGS="$CACHE/logs"
LOG="$LOGS/kafka.log"
RUN="$CACHE/run"
PID_FILE="$RUN/kafka.pid"
ENV_FILE="$RUN/kafka.env"
PORTS_FILE="$DATA/ports"
PROPERTIES="$RUN/kafka.properties"
READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-120}"
# 1 GiB heap is ample for a dev broker; the page cache does the real work. G1 as Kafka's own start script uses.
JAVA_FLAGS=(-Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true -Dfile.encoding=UTF-8)

say() { echo "kafka.sh: $*" >&2; }
running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }
tool_java() { java -Xmx256m -Dlog4j.configuration="file:$RUN/tools-log4j.properties" -cp "$LIB/*" "$@"; }

needs_build() {
  [ -f "$STAMP" ] || return 0
  [ -n "$(find "$LOCAL/pom.xml" "$LOCAL/kafka/pom.xml" -newer "$STAMP" -print -quit)" ]
}

build() {
  needs_build || return 0
  say "resolving Kafka jars into $LIB (Maven repo $M2)"
  mkdir -p "$M2"
  mvn -q -B -Dstyle.color=never -f "$LOCAL/pom.xml" -pl kafka -am -Dmaven.repo.local="$M2" package >&2
  touch "$STAMP"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_is_free() {
  python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.close()' "$1" 2>/dev/null
}

# A real admin metadata call (list topics), not just an open port.
answers() { tool_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --list >/dev/null 2>&1; }

write_configs() {
  local broker_port=$1 controller_port=$2
  cat >"$PROPERTIES" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$broker_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$broker_port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA/logs
num.partitions=4
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=33554432
log.segment.bytes=67108864
log.retention.check.interval.ms=60000
delete.topic.enable=true
PROPS
  cat >"$RUN/kafka-log4j.properties" <<PROPS
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$LOG
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.controller=INFO
log4j.logger.state.change.logger=WARN
PROPS
}

write_tool_config() {
  mkdir -p "$RUN"
  cat >"$RUN/tools-log4j.properties" <<PROPS
log4j.rootLogger=ERROR, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=%p %m%n
PROPS
}

start() {
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ] && ! running; then
    build
    write_tool_config
    if answers "$KAFKA_BOOTSTRAP_SERVERS"; then
      say "using the running Kafka at $KAFKA_BOOTSTRAP_SERVERS; starting nothing"
      echo "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"
      return 0
    fi
    say "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS does not answer; starting a local broker"
  fi
  if running; then
    cat "$ENV_FILE"
    return 0
  fi
  build
  mkdir -p "$DATA" "$LOGS" "$RUN"
  write_tool_config
  # Reuse the previous ports when free, so clients that remember them keep working across restarts.
  local broker_port="" controller_port=""
  if [ -f "$PORTS_FILE" ]; then
    read -r broker_port controller_port <"$PORTS_FILE"
    { port_is_free "$broker_port" && port_is_free "$controller_port"; } || { broker_port=""; controller_port=""; }
  fi
  if [ -z "$broker_port" ]; then
    broker_port=$(free_port)
    controller_port=$(free_port)
    while [ "$controller_port" = "$broker_port" ]; do controller_port=$(free_port); done
  fi
  echo "$broker_port $controller_port" >"$PORTS_FILE"
  write_configs "$broker_port" "$controller_port"
  if [ ! -f "$DATA/logs/meta.properties" ]; then
    local cluster_id
    cluster_id=$(tool_java kafka.tools.StorageTool random-uuid)
    say "formatting KRaft storage (cluster id $cluster_id)"
    tool_java kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPERTIES" >&2
  fi
  local started=$SECONDS
  nohup java "${JAVA_FLAGS[@]}" -Dlog4j.configuration="file:$RUN/kafka-log4j.properties" -cp "$LIB/*" \
    kafka.Kafka "$PROPERTIES" >>"$LOGS/kafka.out" 2>&1 &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  local bootstrap="127.0.0.1:$broker_port"
  say "started Kafka (pid $pid, log $LOG); waiting up to ${READY_TIMEOUT} s for $bootstrap"
  while ! answers "$bootstrap"; do
    if ! kill -0 "$pid" 2>/dev/null || [ $((SECONDS - started)) -ge "$READY_TIMEOUT" ]; then
      say "Kafka did not become ready; last log lines:"
      tail -n 40 "$LOG" "$LOGS/kafka.out" >&2 || true
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      exit 1
    fi
    sleep 1
  done
  echo "KAFKA_BOOTSTRAP_SERVERS=$bootstrap" >"$ENV_FILE"
  say "ready in $((SECONDS - started)) s"
  cat "$ENV_FILE"
}

stop() {
  if ! running; then rm -f "$PID_FILE" "$ENV_FILE"; return 0; fi
  local pid
  pid=$(cat "$PID_FILE")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then say "Kafka did not stop in 30 s; killing"; kill -KILL "$pid" || true; fi
  rm -f "$PID_FILE" "$ENV_FILE"
  say "stopped"
}

status() {
  if running; then echo "kafka: running (pid $(cat "$PID_FILE")), $(cat "$ENV_FILE" 2>/dev/null)"; else echo "kafka: stopped"; return 1; fi
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 build|start|stop|status" >&2; exit 2 ;;
esac
