#!/usr/bin/env bash
# Starts and stops the Dateline services (enrichment worker, indexer, search, `ingest serve`) as background
# processes against the local stack (infra/local/.cache/run/stack.env). Pids in .cache/run/*.pid, logs in
# .cache/logs/. The ingest API's token is INGEST_TOKEN from the repository's .env when set there, else one generated
# at the first start, kept in .cache/run/ingest.token (mode 600) and printed that once.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=infra/local/lib.sh
. "$ROOT/infra/local/lib.sh"
CACHE="$ROOT/infra/local/.cache"
RUN="$CACHE/run"
LOGS="$CACHE/logs"
PY="$ROOT/.venv/bin/python"
SERVICES=(enrich indexer search ingest)
SEARCH_PORT="${DATELINE_PORT:-8000}"
INGEST_PORT="${DATELINE_INGEST_PORT:-8001}"
TOKEN_FILE="$RUN/ingest.token"

ingest_token() {
  local from_env
  from_env="$( [ -f "$ROOT/.env" ] && sed -n 's/^INGEST_TOKEN=//p' "$ROOT/.env" | tail -n 1 || true)"
  if [ -n "$from_env" ]; then echo "$from_env"; return; fi
  if [ ! -s "$TOKEN_FILE" ]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$TOKEN_FILE")
    echo "ingest API token (generated once, kept in $TOKEN_FILE): $(cat "$TOKEN_FILE")" >&2
  fi
  cat "$TOKEN_FILE"
}

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

start() {
  mkdir -p "$RUN" "$LOGS"
  if [ -f "$RUN/stack.env" ]; then set -a; . "$RUN/stack.env"; set +a; fi
  for name in "${SERVICES[@]}"; do
    if running "$name"; then echo "$name already running (pid $(cat "$RUN/$name.pid"))" >&2; continue; fi
    args=()
    if [ "$name" = ingest ]; then
      args=(serve)
      export DATELINE_INGEST_TOKEN DATELINE_INGEST_PORT="$INGEST_PORT"
      DATELINE_INGEST_TOKEN="$(ingest_token)"
    fi
    (cd "$ROOT" && DATELINE_PORT="$SEARCH_PORT" exec nohup "$PY" -m "services.$name" "${args[@]}" >>"$LOGS/$name.log" 2>&1) &
    echo $! >"$RUN/$name.pid"
    echo "started $name (pid $!, log $LOGS/$name.log)" >&2
  done
  sleep 2
  for name in "${SERVICES[@]}"; do
    running "$name" || { echo "$name exited at start; last log lines:" >&2; tail -n 30 "$LOGS/$name.log" >&2; exit 1; }
  done
  echo "search page: http://127.0.0.1:$SEARCH_PORT/  ingest API: POST http://127.0.0.1:$INGEST_PORT/articles" >&2
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
