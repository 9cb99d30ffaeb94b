#!/usr/bin/env bash
# The local stack: Kafka and Elasticsearch from Maven jars, as background processes on 127.0.0.1.
#
#   stack.sh up       build what is missing, start both (in parallel), write .cache/run/stack.env
#   stack.sh down     stop the services (services.sh) and both servers; leaves no process behind
#   stack.sh status   running or not, with addresses (exit 1 when not all up)
#   stack.sh env      print .cache/run/stack.env (NAME=value lines: valid for `set -a; . file` and make `include`)
#   stack.sh clean    down, then remove data and logs (keeps the jars)
set -euo pipefail
LOCAL="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$LOCAL/.cache"
RUN="$CACHE/run"
STACK_ENV="$RUN/stack.env"

up() {
  local started=$SECONDS
  "$LOCAL/kafka.sh" build
  "$LOCAL/es.sh" build
  mkdir -p "$RUN"
  local kafka_out es_out
  kafka_out=$(mktemp) es_out=$(mktemp)
  "$LOCAL/kafka.sh" start >"$kafka_out" & local kafka_pid=$!
  "$LOCAL/es.sh" start >"$es_out" & local es_pid=$!
  local failed=0
  wait "$kafka_pid" || failed=1
  wait "$es_pid" || failed=1
  if [ "$failed" = 1 ]; then
    echo "stack.sh: a server did not start; stopping the other" >&2
    down
    exit 1
  fi
  cat "$kafka_out" "$es_out" >"$STACK_ENV"
  rm -f "$kafka_out" "$es_out"
  echo "stack.sh: up in $((SECONDS - started)) s" >&2
  cat "$STACK_ENV"
}

down() {
  [ -x "$LOCAL/services.sh" ] && "$LOCAL/services.sh" stop || true
  "$LOCAL/es.sh" stop || true
  "$LOCAL/kafka.sh" stop || true
  # Anything else that recorded its pid here (e.g. a service started by hand) goes too.
  for pid_file in "$RUN"/*.pid; do
    [ -e "$pid_file" ] || continue
    kill -TERM "$(cat "$pid_file")" 2>/dev/null || true
    rm -f "$pid_file"
  done
  rm -f "$STACK_ENV"
}

status() {
  local rc=0
  "$LOCAL/kafka.sh" status || rc=1
  "$LOCAL/es.sh" status || rc=1
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) cat "$STACK_ENV" ;;
  clean) down; rm -rf "$CACHE/data" "$CACHE/logs" "$CACHE/state" ;;
  *) echo "usage: $0 up|down|status|env|clean" >&2; exit 2 ;;
esac
