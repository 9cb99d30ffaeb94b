#!/usr/bin/env bash
# Starts and stops the Dateline services (enrichment worker, indexer) as background processes against the
# local stack (infra/local/.cache/run/stack.env). Pids in .cache/run/*.pid, logs in .cache/logs/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=infra/local/lib.sh
. "$ROOT/infra/local/lib.sh"
CACHE="$ROOT/infra/local/.cache"
RUN="$CACHE/run"
LOGS="$CACHE/logs"
PY="$ROOT/.venv/bin/python"
SERVICES=(enrich indexer search)
SEARCH_PORT="${DATELINE_PORT:-8000}"

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

start() {
  mkdir -p "$RUN" "$LOGS"
  if [ -f "$RUN/stack.env" ]; then set -a; . "$RUN/stack.env"; set +a; fi
  for name in "${SERVICES[@]}"; do
    if running "$name"; then echo "$name already running (pid $(cat "$RUN/$name.pid"))" >&2; continue; fi
    (cd "$ROOT" && DATELINE_PORT="$SEARCH_PORT" exec nohup "$PY" -m "services.$name" >>"$LOGS/$name.log" 2>&1) &
    echo $! >"$RUN/$name.pid"
    echo "started $name (pid $!, log $LOGS/$name.log)" >&2
  done
  sleep 2
  for name in "${SERVICES[@]}"; do
    running "$name" || { echo "$name exited at start; last log lines:" >&2; tail -n 30 "$LOGS/$name.log" >&2; exit 1; }
  done
  echo "search page: http://127.0.0.1:$SEARCH_PORT/" >&2
}

stop() {
  for name in "${SERVICES[@]}"; do
    running "$name" || { rm -f "$RUN/$name.pid"; continue; }
    pid="$(cat "$RUN/$name.pid")"
    terminate "$pid" "$name"
    rm -f "$RUN/$name.pid"
    echo "stopped $name" >&2
  done
}

status() {
  for name in "${SERVICES[@]}"; do
    if running "$name"; then echo "$name: running (pid $(cat "$RUN/$name.pid"))"; else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
