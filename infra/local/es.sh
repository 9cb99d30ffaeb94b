#!/usr/bin/env bash
# A single-node Elasticsearch 8.x for local development and tests, run from Maven Central jars (no Docker, no
# distribution download); see infra/local/elasticsearch/README.md.
#
#   es.sh build    build the launcher and copy its classpath to .cache/elasticsearch/lib (no-op when up to date)
#   es.sh start    start the node (or reuse $ELASTICSEARCH_URL if it answers), wait until the cluster is yellow/green,
#                  print exactly one line on stdout: ELASTICSEARCH_URL=http://127.0.0.1:PORT
#   es.sh stop     TERM the node, KILL after 30 s; no-op when not running
#   es.sh status   print whether it is running and its URL
#
# Everything lives under infra/local/.cache (git ignores it): m2/ (Maven repo), elasticsearch/lib/, data/elasticsearch/,
# logs/elasticsearch.log, run/elasticsearch.{pid,env}. Progress messages go to stderr.
# DATELINE_LOCAL_STATE=DIR puts data/, logs/ and run/ under DIR instead (the jars stay shared), and ES_PORT=N fixes
# the HTTP port (default: a free one), so a fault test can stop its private node and restart it at the same URL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/infra/local"
# shellcheck source=infra/local/lib.sh
. "$LOCAL/lib.sh"
CACHE="$LOCAL/.cache"
M2="$CACHE/m2"
LIB="$CACHE/elasticsearch/lib"
STAMP="$LIB/.built"
STATE="${DATELINE_LOCAL_STATE:-$CACHE}"
HOME_DIR="$STATE/data/elasticsearch"
LOGS="$STATE/logs"
LOG="$LOGS/elasticsearch.log"
RUN="$STATE/run"
PID_FILE="$RUN/elasticsearch.pid"
ENV_FILE="$RUN/elasticsearch.env"
MAIN_CLASS="dateline.local.elasticsearch.ElasticsearchLauncher"
READY_TIMEOUT="${ES_READY_TIMEOUT:-180}"

# Heap plus the system flags a real 8.x distribution passes (server-cli SystemJvmOptions), minus the entitlement agent
# and security manager, which only exist when started through the distribution's bootstrap.
JAVA_FLAGS=(
  -Xms1g -Xmx1g -XX:+UseG1GC -Xss1m
  -XX:-OmitStackTraceInFastThrow
  -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djava.locale.providers=CLDR
  -Des.networkaddress.cache.ttl=60 -Des.networkaddress.cache.negative.ttl=10
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0
  -Des.set.netty.runtime.available.processors=false
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true
)

say() { echo "es.sh: $*" >&2; }

running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

needs_build() {
  [ -f "$STAMP" ] || return 0
  [ -n "$(find "$LOCAL/pom.xml" "$LOCAL/elasticsearch/pom.xml" "$LOCAL/elasticsearch/src" -newer "$STAMP" -print -quit)" ]
}

build() {
  if ! needs_build; then return 0; fi
  say "building Elasticsearch launcher and classpath into $LIB (Maven repo $M2)"
  mkdir -p "$M2"
  local started=$SECONDS
  if [ -f "$LOCAL/kafka/pom.xml" ]; then
    mvn -q -B -Dstyle.color=never -f "$LOCAL/pom.xml" -pl elasticsearch -am -Dmaven.repo.local="$M2" package >&2
  else
    # the aggregator lists a kafka module; until it exists, build this module on its own with the same cache dir
    mvn -q -B -Dstyle.color=never -f "$LOCAL/elasticsearch/pom.xml" -Dcache.dir="$CACHE" -Dmaven.repo.local="$M2" package >&2
  fi
  touch "$STAMP"
  say "built in $((SECONDS - started)) s"
}

url_of_running() { sed -n 's/^ELASTICSEARCH_URL=//p' "$ENV_FILE" 2>/dev/null; }

# yellow or green, from a real cluster-health answer (an open port is not enough)
healthy() {
  local body
  body="$(curl -fsS -m 10 "$1/_cluster/health?wait_for_status=yellow&timeout=5s" 2>/dev/null)" || return 1
  [[ "$body" =~ \"status\":\"(green|yellow)\" ]]
}

start() {
  if [ -n "${ELASTICSEARCH_URL:-}" ] && curl -fsS -m 5 "$ELASTICSEARCH_URL/_cluster/health" >/dev/null 2>&1; then
    say "using the Elasticsearch already answering at $ELASTICSEARCH_URL"
    echo "ELASTICSEARCH_URL=$ELASTICSEARCH_URL"
    return 0
  fi
  if running; then
    say "already running (pid $(cat "$PID_FILE"))"
    echo "ELASTICSEARCH_URL=$(url_of_running)"
    return 0
  fi
  rm -f "$PID_FILE" "$ENV_FILE"
  build
  mkdir -p "$HOME_DIR" "$LOGS" "$RUN"
  local port url pid
  port="${ES_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}"
  url="http://127.0.0.1:$port"
  echo "==== $(date -u +%FT%TZ) es.sh start: port $port, home $HOME_DIR" >>"$LOG"
  nohup java "${JAVA_FLAGS[@]}" ${ES_JAVA_OPTS:-} -cp "$LIB/*" "$MAIN_CLASS" "$HOME_DIR" "$port" </dev/null >>"$LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  say "started Elasticsearch (pid $pid, log $LOG); waiting up to ${READY_TIMEOUT} s for $url"
  local started=$SECONDS
  until healthy "$url"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "Elasticsearch exited during start; last log lines:"
      tail -n 40 "$LOG" >&2
      rm -f "$PID_FILE"
      exit 1
    fi
    if (( SECONDS - started >= READY_TIMEOUT )); then
      say "Elasticsearch not ready after ${READY_TIMEOUT} s; last log lines:"
      tail -n 40 "$LOG" >&2
      stop
      exit 1
    fi
    sleep 1
  done
  echo "ELASTICSEARCH_URL=$url" >"$ENV_FILE"
  say "ready in $((SECONDS - started)) s"
  echo "ELASTICSEARCH_URL=$url"
}

stop() {
  if ! running; then
    rm -f "$PID_FILE" "$ENV_FILE"
    return 0
  fi
  local pid
  pid="$(cat "$PID_FILE")"
  terminate "$pid" Elasticsearch
  rm -f "$PID_FILE" "$ENV_FILE"
  say "stopped Elasticsearch (pid $pid)"
}

status() {
  if running; then
    echo "elasticsearch: running (pid $(cat "$PID_FILE")) $(url_of_running)"
  else
    echo "elasticsearch: stopped"
    return 1
  fi
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 build|start|stop|status" >&2; exit 2 ;;
esac
