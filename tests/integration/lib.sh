# Shared helpers for the shell integration tests. Each test sources this file, calls its checks,
# and ends with `finish`, which prints "N passed, M failed" and sets the exit status.
set -uo pipefail
BK="${BK_BOOTKEEPERD:?set BK_BOOTKEEPERD to the bootkeeperd binary}"
WORK="$(mktemp -d /tmp/bk-it-XXXXXX)"
PASSED=0
FAILED=0
CLEANUPS=()
cleanup() {
  local i
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[i]}" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
# A test stopped by ctest's timeout (SIGTERM) must still remove its namespaces.
trap 'exit 143' INT TERM
on_exit() { CLEANUPS+=("$1"); }

# wait_ready LOG PID [TENTHS]: waits until the daemon's log says "ready" (0), or until it has
# exited or TENTHS tenths of a second (default 50) have passed (1).
wait_ready() {
  local log="$1" pid="$2" tenths="${3:-50}" _
  for _ in $(seq "$tenths"); do
    grep -q "ready" "$log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/       /'; }

# expect_exit CODE NAME -- CMD...: runs CMD, keeps its output in $OUT.
expect_exit() {
  local want="$1" name="$2"
  shift 3
  OUT="$("$@" 2>&1)"
  local got=$?
  if [ "$got" -eq "$want" ]; then pass "$name"; else fail "$name (exit $got, wanted $want)" "$OUT"; fi
}
# expect_out PATTERN NAME: the last command's output matches the extended regex.
expect_out() {
  if grep -Eq -- "$1" <<<"$OUT"; then pass "$2"; else fail "$2 (no /$1/ in output)" "$OUT"; fi
}
# A bad-input refusal is one line that names the file, and never a stack trace.
expect_one_line() {
  local lines
  lines=$(grep -c . <<<"$OUT")
  if [ "$lines" -eq 1 ] && ! grep -q "terminate called\|Aborted\|what():" <<<"$OUT"; then
    pass "$1"
  else
    fail "$1 (wanted one line)" "$OUT"
  fi
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
