#!/usr/bin/env bash
# The local stack: Kafka and Elasticsearch from Maven Central jars, as background processes on 127.0.0.1;
# see infra/local/README.md.
#
#   stack.sh up       build what is missing (one after the other), start both servers in parallel, wait until each
#                     answers, write .cache/run/stack.env and print it
#   stack.sh down     stop the services (services.sh), Elasticsearch, Kafka, and every other process whose pid is
#                     recorded in .cache/run/*.pid; leaves no process behind
#   stack.sh status   running or not, with addresses (exit 1 when not all up)
#   stack.sh env      print .cache/run/stack.env: NAME=value lines, valid both for `set -a; . file` and make `include`
#   stack.sh clean    down, then remove data and logs (keeps the jars and the Maven repository)
set -euo pipefail

LOCAL="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/local/lib.sh
. "$LOCAL/lib.sh"
CACHE="$LOCAL/.cache"
RUN="$CACHE/run"
STACK_ENV="$RUN/stack.env"
SERVERS=(kafka es)   # scripts $LOCAL/<name>.sh with build|start|stop|status; `down` stops them in reverse order

say() { echo "stack.sh: $*" >&2; }
now() { date +%s.%N; }
since() { python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$1"; }

up() {
  local started
  started=$(now)
  mkdir -p "$RUN"
  # Maven builds one after the other (2 cores: parallel builds only fight), then the servers in parallel.
  local name
  for name in "${SERVERS[@]}"; do "$LOCAL/$name.sh" build; done
  local -A out=() job=()
  for name in "${SERVERS[@]}"; do
    out[$name]="$(mktemp "$RUN/.start-$name.XXXXXX")"
    "$LOCAL/$name.sh" start >"${out[$name]}" &
    job[$name]=$!
  done
  local failed=()
  for name in "${SERVERS[@]}"; do
    wait "${job[$name]}" || failed+=("$name")
  done
  if [ "${#failed[@]}" -gt 0 ]; then
    rm -f "${out[@]}"
    say "${failed[*]} did not start; stopping everything"
    down
    exit 1
  fi
  local tmp="$STACK_ENV.tmp"
  for name in "${SERVERS[@]}"; do cat "${out[$name]}"; done >"$tmp"
  mv "$tmp" "$STACK_ENV"
  rm -f "${out[@]}"
  say "up in $(since "$started") s; $STACK_ENV:"
  cat "$STACK_ENV"
}

down() {
  if [ -x "$LOCAL/services.sh" ]; then "$LOCAL/services.sh" stop || true; fi
  local i
  for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do "$LOCAL/${SERVERS[i]}.sh" stop || true; done
  # Anything else that recorded its pid here (a service started by hand, a server whose script failed) goes too.
  local pid_file pid
  for pid_file in "$RUN"/*.pid; do
    [ -e "$pid_file" ] || continue
    pid="$(cat "$pid_file" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]]; then terminate "$pid" "$(basename "$pid_file" .pid)"; fi
    rm -f "$pid_file"
  done
  rm -f "$STACK_ENV" "$RUN"/.start-*
}

status() {
  local rc=0 name
  for name in "${SERVERS[@]}"; do "$LOCAL/$name.sh" status || rc=1; done
  if [ -x "$LOCAL/services.sh" ]; then "$LOCAL/services.sh" status || true; fi
  return $rc
}

env_file() {
  [ -f "$STACK_ENV" ] || { say "no $STACK_ENV; run 'stack.sh up'"; return 1; }
  cat "$STACK_ENV"
}

clean() {
  down
  rm -rf "$CACHE/data" "$CACHE/logs"
  say "removed data and logs (kept jars in $CACHE/kafka/lib, $CACHE/elasticsearch/lib and $CACHE/m2)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_file ;;
  clean) clean ;;
  *) echo "usage: $0 up|down|status|env|clean" >&2; exit 2 ;;
esac
