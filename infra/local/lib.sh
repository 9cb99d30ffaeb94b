# Shared by the infra/local scripts (sourced, not run).

# terminate PID WHAT: TERM, wait up to 30 s, then KILL and wait briefly; a no-op when PID is not running.
terminate() {
  local pid=$1 what=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  echo "$what (pid $pid) did not stop in 30 s; killing" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
}
