#!/usr/bin/env bash
# Runs a command with the local stack's variables exported. Starts the stack first if it is not up, and then
# stops it afterwards; a stack that was already up (`make up`) is left running.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STACK="$ROOT/infra/local/stack.sh"
ENV_FILE="$ROOT/infra/local/.cache/run/stack.env"

started_here=0
if ! "$STACK" status >/dev/null 2>&1 || [ ! -f "$ENV_FILE" ]; then
  "$STACK" up >&2
  started_here=1
fi
[ "$started_here" = 1 ] && trap '"$STACK" down >&2' EXIT
set -a; . "$ENV_FILE"; set +a
"$@"
