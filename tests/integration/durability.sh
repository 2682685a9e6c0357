#!/usr/bin/env bash
# What survives a crash, a locked inventory and a full disk, against the real binaries:
#   1. kill -9 in the middle of a 10,000-row import (the command line's and the API's) leaves
#      none or all of the rows, never some, and a sound database;
#   2. while another process holds the inventory's write lock, every request is answered at
#      once, a pool binding gives up quickly instead of holding up the others, and the events
#      that could not be written are counted as lost;
#   3. with the inventory on a full file system (a private tmpfs), replies go out, lost events
#      are counted and logged (not once per event), and writing resumes when space comes back.
# In network namespaces (198.18.0.0/15; the API listens on the server namespace's loopback):
#   server s0 198.18.0.1/24 <-> c0 cli  (ws01, registered, static address)
#          s1 198.18.1.1/24 <-> c1 pcl  198.18.1.2 (unknown MACs on a subnet with a pool)
#          s2 198.18.2.1/24 <-> g2 gen  198.18.2.2 (requests from many unknown MACs)
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/netns.sh"
require_root
for tool in python3 curl bootpc busybox unshare nsenter; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed (deploy/setup installs it)"; finish; exit 1; }
done
T0=$(date +%s)

# ---- helpers in Python: timing and killing imports, holding the write lock, sending requests ----
cat >"$WORK/dur.py" <<'PY'
import os, random, signal, socket, sqlite3, struct, subprocess, sys, time

def shm_inode(db):
    try:
        return os.stat(db + "-shm").st_ino
    except FileNotFoundError:
        return None

def write_lock_holder(db):
    """The pid holding the WAL write lock of `db` (byte 120 of its -shm file, see SQLite's
    wal.c: WALINDEX_LOCK_OFFSET + WAL_WRITE_LOCK), or None."""
    ino = shm_inode(db)
    if ino is None:
        return None
    with open("/proc/locks") as f:
        for line in f:
            p = line.split()  # "7: POSIX  ADVISORY  WRITE 1234 00:2a:5678 120 120"; waiters have "->"
            if len(p) >= 8 and p[1] == "POSIX" and p[3] == "WRITE" and p[6] == "120" \
                    and int(p[5].rsplit(":", 1)[1]) == ino:
                return int(p[4])
    return None

def size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0

def wchar(pid):
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1

def count_and_check(bk, db):
    """(machines, 'ok' or the problem) as bootkeeperd's own `db check` and SQLite see them."""
    r = subprocess.run([bk, "--db", db, "db", "check"], capture_output=True, text=True)
    con = sqlite3.connect(db)
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    n = con.execute("SELECT count(*) FROM machines").fetchone()[0]
    con.close()
    ok = r.returncode == 0 and r.stdout.strip().endswith("ok") and integrity == "ok" \
        and f"machines {n}," in r.stdout
    return n, "ok" if ok else (integrity + " / " + r.stdout.strip().replace("\n", " | "))

def fresh_copy(base, path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    with open(base, "rb") as src, open(path, "wb") as dst:
        dst.write(src.read())

def import_run(bk, base, csv, db, trigger=None, delay_ms=None):
    """One `inventory import` into a fresh copy of `base`, watched every few microseconds.
    trigger: None (run to the end), "delay" (kill at delay_ms), "lock" (kill 2 ms into its write
    transaction), "wal" (kill when the -wal file first grows under the write lock: the
    transaction's pages going to disk), "unlock" (kill once the write transaction is over). Opening
    the file takes the write lock for well under a millisecond (WAL recovery); a hold counts as the
    import's transaction from 2 ms on."""
    fresh_copy(base, db)
    p = subprocess.Popen([bk, "--db", db, "inventory", "import", csv],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    since = None  # when the current hold of the write lock began
    longest = None  # (start, end) of the longest hold
    r = {"trigger": trigger or "none", "alive": False, "held_ms": 0, "wal": 0, "wchar": -1}
    while True:
        now = (time.monotonic() - t0) * 1000
        held = write_lock_holder(db) == p.pid
        if held and since is None:
            since = now
        if not held and since is not None:
            if longest is None or now - since > longest[1] - longest[0]:
                longest = (since, now)
            since = None
        wal = size(db + "-wal")
        fire = (trigger == "delay" and now >= delay_ms) or (trigger == "lock" and held and now - since >= 2) or \
               (trigger == "wal" and held and wal > 0) or \
               (trigger == "unlock" and not held and longest is not None and longest[1] - longest[0] >= 2)
        if fire:
            r.update(alive=p.poll() is None, held_ms=now - since if held else 0, wal=wal, wchar=wchar(p.pid))
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            r["kill_ms"] = now
            break
        if p.poll() is not None:
            r["kill_ms"] = now  # ended before a kill was due
            if trigger not in (None, "delay"):
                r["trigger"] += "(missed)"
            break
    p.wait()
    r["exit"] = p.returncode
    r["longest"] = longest
    return r

def cmd_time(bk, base, csv, db):
    r = import_run(bk, base, csv, db)
    n, check = count_and_check(bk, db)
    start, end = r["longest"] or (-1, -1)
    print(f"{r['kill_ms']:.0f} {start:.0f} {end:.0f} {r['exit']} {n} {check}")

def cmd_kills(bk, base, csv, dir, total_ms, runs):
    total_ms, runs = float(total_ms), int(runs)
    base_n, _ = count_and_check(bk, base)
    plan = [("delay", total_ms * (0.03 + 1.1 * i / (runs - 1))) for i in range(runs)]
    plan += [("lock", None), ("wal", None), ("unlock", None)]
    print(f"{'run':>3} {'trigger':<8} {'kill at':>8} {'alive':>5} {'lock held':>10} {'-wal bytes':>10} "
          f"{'wchar':>9} {'new rows':>8}  db check")
    for i, (trigger, delay) in enumerate(plan, 1):
        db = os.path.join(dir, f"kill{i}.db")
        r = import_run(bk, base, csv, db, trigger, delay)
        n, check = count_and_check(bk, db)
        new = n - base_n
        outcome = "none" if new == 0 else "all" if new == 10000 else "PARTIAL"
        held = f"{r['held_ms']:.0f} ms" if r["held_ms"] else "-"
        print(f"{i:>3} {r['trigger']:<8} {r['kill_ms']:>6.0f}ms {('yes' if r['alive'] else 'no'):>5} "
              f"{held:>10} {r['wal']:>10} {r['wchar']:>9} {new:>8}  {check}")
        locked = r["alive"] and r["held_ms"] >= 2
        print(f"RESULT {outcome} {'locked' if locked else 'unlocked'} "
              f"{'killed' if r['alive'] else 'finished'} {check.split()[0]}", file=sys.stderr)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)

def cmd_post(db, pid, kill_after_ms, *request):
    """Runs `request` (a curl command that POSTs an import to the daemon `pid`) and watches the
    daemon's hold on the write lock of `db`. kill_after_ms < 0: prints curl's output and how long
    the lock was held (ms). Else SIGKILLs the daemon kill_after_ms after it took the lock and
    prints "held" when it still held it then, "released" when it no longer did, "never"."""
    pid, after = int(pid), float(kill_after_ms)
    curl = subprocess.Popen(request, stdout=subprocess.PIPE, text=True)
    t1 = t2 = None
    outcome = "never"
    while curl.poll() is None or (t1 is not None and t2 is None and after < 0):
        held = write_lock_holder(db) == pid
        now = time.monotonic()
        if held and t1 is None:
            t1 = now
        if not held and t1 is not None and t2 is None:
            t2 = now
        if after >= 0 and t1 is not None and (now - t1) * 1000 >= after:
            os.kill(pid, signal.SIGKILL)
            outcome = "held" if held else "released"
            break
    out = curl.communicate()[0].strip()
    if after < 0:
        print(out, f"{(t2 - t1) * 1000:.0f}" if t1 and t2 else -1)
    else:
        print(outcome)

def cmd_hold(db, seconds, ready):
    """Holds the inventory's write lock (BEGIN IMMEDIATE) for `seconds`, as another writer would."""
    con = sqlite3.connect(db, isolation_level=None, timeout=30)
    con.execute("BEGIN IMMEDIATE")
    open(ready, "w").write(f"{time.time()}\n")
    time.sleep(float(seconds))
    con.execute("ROLLBACK")
    con.close()

def cmd_send(server, count, seconds, macs=""):
    """`count` BOOTREQUESTs spread over `seconds`, from random MACs or in turn from `macs`."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 68))
    fixed = [bytes.fromhex(m.replace(":", "")) for m in macs.split(",") if m]
    count, gap = int(count), float(seconds) / max(int(count), 1)
    for i in range(count):
        mac = fixed[i % len(fixed)] if fixed else bytes([0x02]) + random.randbytes(5)
        pkt = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, random.getrandbits(32), 0, 0, 0, 0, 0, 0)
        pkt += mac + bytes(10) + bytes(64) + bytes(128) + bytes([99, 130, 83, 99, 255]) + bytes(59)
        s.sendto(pkt, (server, 67))
        time.sleep(gap)

if __name__ == "__main__":
    {"time": cmd_time, "kills": cmd_kills, "post": cmd_post, "hold": cmd_hold,
     "send": cmd_send}[sys.argv[1]](*sys.argv[2:])
PY
dur() { python3 "$WORK/dur.py" "$@"; }

# ---- the inventory: a lab subnet with ws01, a pool subnet, a subnet for strangers, room for the
# import; a base of 1,000 machines that every import lands on ----
ROOT="$WORK/images"
mkdir -p "$ROOT/lab"
head -c 30000 /dev/urandom >"$ROOT/lab/pxelinux.0"
cat >"$WORK/lab.json" <<'JSON'
{"subnets": [{"name": "lab", "network": "198.18.0.0/24", "gateway": "198.18.0.1", "next_server": "198.18.0.1"},
             {"name": "pool", "network": "198.18.1.0/24", "gateway": "198.18.1.1", "next_server": "198.18.1.1",
              "pool": {"start": "198.18.1.100", "end": "198.18.1.199"}, "default_image": "lab-bios"},
             {"name": "far", "network": "198.18.2.0/24", "gateway": "198.18.2.1"},
             {"name": "base", "network": "198.18.32.0/20"},
             {"name": "bulk", "network": "198.18.64.0/18"}],
 "images": [{"name": "lab-bios", "kind": "pxelinux", "boot_file": "lab/pxelinux.0"}],
 "machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01", "ip": "198.18.0.50", "image": "lab-bios"}]}
JSON
python3 - "$WORK" <<'PY'
import sys, ipaddress
def rows(path, n, net, mac, name):
    hosts = (h for h in ipaddress.ip_network(net).hosts() if h.packed[3] not in (0, 255))
    with open(path, "w") as f:
        f.write("mac,hostname,ip,image,group,enabled\n")
        for i in range(n):
            f.write(f"{mac}:{i >> 8 & 255:02x}:{i & 255:02x}:01,{name}{i:05d},{next(hosts)},lab-bios,room-{i % 7},true\n")
rows(sys.argv[1] + "/base.csv", 999, "198.18.32.0/20", "52:54:02", "base")
rows(sys.argv[1] + "/10k.csv", 10000, "198.18.64.0/18", "52:54:01", "pc")
PY
BASE="$WORK/base.db"
"$BK" --db "$BASE" inventory import "$WORK/lab.json" >/dev/null &&
  "$BK" --db "$BASE" inventory import "$WORK/base.csv" >/dev/null || { fail "base inventory"; finish; exit 1; }
ADMIN=$("$BK" --db "$BASE" token create --role admin --name it-admin | tail -1)
BASE_N=$("$BK" --db "$BASE" db check | sed -n 's/.* machines \([0-9]*\),.*/\1/p')

ns_add srv
ns_add cli
ns_add pcl
ns_add gen
link srv s0 cli c0 52:54:00:12:34:56
link srv s1 pcl c1 52:54:00:99:00:01
link srv s2 gen g2
in_ns srv ip addr add 198.18.0.1/24 dev s0
in_ns srv ip addr add 198.18.1.1/24 dev s1
in_ns srv ip addr add 198.18.2.1/24 dev s2
in_ns gen ip addr add 198.18.2.2/24 dev g2
in_ns pcl ip addr add 198.18.1.2/24 dev c1
in_ns cli ip route add default dev c0
in_ns pcl ip route add default dev c1

# start_daemon DB LOG [flags...]: bootkeeperd in the server namespace, API on its loopback.
start_daemon() {
  local db="$1" log="$2"
  shift 2
  ip netns exec "$(ns srv)" "$BK" --db "$db" --images "$ROOT" --server-name bootkeeper --no-tftp \
    --api-listen 127.0.0.1:8067 "$@" >>"$log" 2>&1 &
  SERVER=$!
  on_exit "kill -9 $SERVER"
  wait_ready "$log" "$SERVER"
}
# api PATH: GET with the admin token; the body in $OUT.
api() { OUT="$(in_ns srv curl -s -m 30 -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:8067$1")"; }
metric() {  # metric NAME-AND-LABELS: its value in the last /metrics
  api /metrics
  awk -v m="$1" '$1 == m { print $2 }' <<<"$OUT"
}
ms_now() { echo $(($(date +%s%N) / 1000000)); }
# ask_ws01: one bootpc exchange as ws01; "MS ADDRESS" (ADDRESS empty when no reply).
ask_ws01() {
  local t0 out
  t0=$(ms_now)
  out="$(in_ns cli timeout 20 bootpc --dev c0 --serverbcast --timeoutwait 8 2>&1)"
  echo "$(($(ms_now) - t0)) $(sed -n "s/^IPADDR='\(.*\)'$/\1/p" <<<"$out")"
}

# ======== 1. kill -9 in the middle of a 10,000-row import ========
echo "# 1. kill -9 during a 10,000-row import (base: $BASE_N machines)"
read -r T_TOTAL T_LOCK T_UNLOCK T_EXIT T_COUNT T_CHECK <<<"$(dur time "$BK" "$BASE" "$WORK/10k.csv" "$WORK/timed.db")"
echo "   one full import: ${T_TOTAL} ms; its write transaction from ${T_LOCK} ms to ${T_UNLOCK} ms"
if [ "$T_EXIT" = 0 ] && [ "$T_COUNT" = $((BASE_N + 10000)) ] && [ "$T_CHECK" = ok ]; then
  pass "a full import adds 10,000 rows (${T_TOTAL} ms)"
else
  fail "the timed import: exit $T_EXIT, $T_COUNT machines, check $T_CHECK"
fi
dur kills "$BK" "$BASE" "$WORK/10k.csv" "$WORK" "$T_TOTAL" 14 2>"$WORK/kills.txt" | sed 's/^/   /'
RUNS=$(grep -c '^RESULT' "$WORK/kills.txt")
PARTIAL=$(grep -c '^RESULT PARTIAL' "$WORK/kills.txt")
BAD=$(grep '^RESULT' "$WORK/kills.txt" | grep -vc ' ok$')
if [ "$RUNS" -ge 15 ] && [ "$PARTIAL" -eq 0 ]; then pass "$RUNS killed imports: none left some of the rows"; else
  fail "$RUNS runs, $PARTIAL left part of the import" "$(cat "$WORK/kills.txt")"; fi
if [ "$RUNS" -ge 15 ] && [ "$BAD" -eq 0 ]; then pass "  ... and every database passes db check (PRAGMA integrity_check, foreign keys)"; else
  fail "  ... $BAD databases damaged" "$(cat "$WORK/kills.txt")"; fi
if grep -q '^RESULT none locked killed' "$WORK/kills.txt"; then
  pass "  ... kills inside the write transaction (lock held 2 ms or more) left none of the rows"
else fail "  ... no kill landed inside the write transaction" "$(cat "$WORK/kills.txt")"; fi
if grep -q '^RESULT all ' "$WORK/kills.txt"; then pass "  ... and some runs kept all 10,000"; else
  fail "  ... no run kept all the rows" "$(cat "$WORK/kills.txt")"; fi

# The same through the API: kill -9 the daemon while it writes a POSTed import, then restart it.
# post_import DB KILL_AFTER_MS: POSTs the 10,000 rows to the daemon $SERVER (see cmd_post).
post_import() {
  dur post "$1" "$SERVER" "$2" ip netns exec "$(ns srv)" curl -s -m 60 -o /dev/null -w '%{http_code} %{time_total}' \
    -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: text/csv' --data-binary @"$WORK/10k.csv" \
    http://127.0.0.1:8067/api/v1/machines/import
}
total_after_restart() {
  start_daemon "$1" "$1.restart.log" --no-bootp
  api "/api/v1/machines?limit=1"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null
  python3 -c "import json,sys; print(json.load(sys.stdin)['total'])" <<<"$OUT" 2>/dev/null || echo "?"
}
for case in timed lock acked; do
  db="$WORK/api-$case.db"
  cp "$BASE" "$db"
  start_daemon "$db" "$db.log" --no-bootp
  case $case in
    timed)
      read -r code API_SECS API_HOLD_MS <<<"$(post_import "$db" -1)"
      kill "$SERVER"
      wait "$SERVER" 2>/dev/null
      API_TOTAL=$(total_after_restart "$db")
      echo "   API import: HTTP $code in ${API_SECS} s; the daemon held the write lock for ${API_HOLD_MS} ms"
      if [ "$code" = 200 ] && [ "$API_TOTAL" = $((BASE_N + 10000)) ]; then pass "a POSTed import adds 10,000 rows"; else
        fail "the POSTed import: HTTP $code, $API_TOTAL machines"; fi
      ;;
    lock)
      # SIGKILL halfway through the import's write transaction (nothing else takes the lock here).
      locked=$(post_import "$db" $((API_HOLD_MS / 2)))
      wait "$SERVER" 2>/dev/null
      got=$(total_after_restart "$db")
      echo "   daemon killed $((API_HOLD_MS / 2)) ms into the import's write transaction (lock at the kill: $locked): $got machines after restart"
      if [ "$locked" = held ] && [ "$got" = "$BASE_N" ]; then
        pass "kill -9 of the daemon inside the API import's transaction: none of the rows after restart"
      else fail "daemon killed during the API import: lock $locked, $got machines (wanted $BASE_N)"; fi
      ;;
    acked)
      read -r code _ <<<"$(post_import "$db" -1)"
      kill -9 "$SERVER"
      wait "$SERVER" 2>/dev/null
      got=$(total_after_restart "$db")
      echo "   daemon killed right after answering the import (HTTP $code): $got machines after restart"
      if [ "$code" = 200 ] && [ "$got" = $((BASE_N + 10000)) ]; then
        pass "kill -9 right after the API answered 200: all 10,000 rows are there after restart"
      else fail "daemon killed after the import's answer: HTTP $code, $got machines"; fi
      ;;
  esac
done
OUT="$("$BK" --db "$WORK/api-lock.db" db check 2>&1)"
expect_out "^ok$" "  ... and the killed daemon's database passes db check"

# ======== 2. another process holds the write lock ========
echo "# 2. the inventory's write lock held by another process"
DB2="$WORK/lock.db"
cp "$BASE" "$DB2"
start_daemon "$DB2" "$WORK/lock.log"
read -r ms ip <<<"$(ask_ws01)"
echo "   unlocked: ws01 answered in $ms ms ($ip)"
sleep 1.2
W0=$(metric bootkeeper_events_written_total)
if [ "${W0:-0}" -gt 0 ]; then pass "unlocked: events are written ($W0)"; else fail "unlocked: no event written ($W0)"; fi

HOLD_S=13
rm -f "$WORK/held"
dur hold "$DB2" "$HOLD_S" "$WORK/held" &
HOLDER=$!
on_exit "kill $HOLDER"
for _ in $(seq 50); do [ -s "$WORK/held" ] && break; sleep 0.1; done
LOCK_T0=$(ms_now)
# Five strangers on the pool subnet ask five times a second in all: each request is a pool
# binding, which needs the write lock. Strangers on the far subnet make events.
in_ns pcl python3 "$WORK/dur.py" send 198.18.1.1 $(((HOLD_S - 3) * 5)) $((HOLD_S - 3)) \
  02:00:00:00:01:01,02:00:00:00:01:02,02:00:00:00:01:03,02:00:00:00:01:04,02:00:00:00:01:05 &
POOLER=$!
in_ns gen python3 "$WORK/dur.py" send 198.18.2.1 400 8 &
SENDER=$!
sleep 0.5
LAT=()
MISSED=0
while [ $(($(ms_now) - LOCK_T0)) -lt $((HOLD_S * 1000 - 2500)) ]; do
  read -r ms ip <<<"$(ask_ws01)"
  LAT+=("$ms")
  [ "$ip" = 198.18.0.50 ] || MISSED=$((MISSED + 1))
  sleep 0.3
done
# The API as well: its token lookup reads the inventory, which the event writer must not keep
# to itself while it waits for the lock (WAL readers do not wait for a writer).
API_MS=()
for _ in 1 2 3; do
  t0=$(ms_now)
  api "/api/v1/machines?limit=1"
  API_MS+=("$(($(ms_now) - t0))")
  grep -q '"total":' <<<"$OUT" || API_MS+=("no-answer")
  sleep 0.2
done
# A DHCP client as well (busybox udhcpc: DISCOVER, OFFER, REQUEST, ACK).
t0=$(ms_now)
if in_ns cli timeout 15 busybox udhcpc -i c0 -n -q -f -t 3 -T 2 -s /bin/true >/dev/null 2>&1; then dhcp=ok; else dhcp=none; fi
DHCP_MS=$(($(ms_now) - t0))
STILL_LOCKED=no
kill -0 "$HOLDER" 2>/dev/null && STILL_LOCKED=yes
MAX=0
for l in "${LAT[@]}"; do [ "$l" -gt "$MAX" ] && MAX=$l; done
LOCK_MAX=$MAX
echo "   locked for ${HOLD_S} s: ws01 asked ${#LAT[@]} times, reply times (ms): ${LAT[*]}; udhcpc $dhcp in $DHCP_MS ms"
if [ "${#LAT[@]}" -ge 5 ] && [ "$MISSED" -eq 0 ] && [ "$STILL_LOCKED" = yes ]; then
  pass "locked: every request of ws01 is answered while strangers ask for pool addresses"
else fail "locked: ${#LAT[@]} requests, $MISSED unanswered (lock still held at the end: $STILL_LOCKED)"; fi
if [ "$MAX" -lt 1000 ] && [ "$dhcp" = ok ] && [ "$DHCP_MS" -lt 2000 ]; then
  pass "  ... promptly: the slowest in $MAX ms, the DHCP exchange in $DHCP_MS ms (the busy timeout is 10 s)"
else fail "  ... too slow: the slowest bootpc in $MAX ms, udhcpc $dhcp in $DHCP_MS ms"; fi
API_MAX=0
for l in "${API_MS[@]}"; do
  if [ "$l" = no-answer ]; then API_MAX=999999; elif [ "$l" -gt "$API_MAX" ]; then API_MAX=$l; fi
done
if [ "$API_MAX" -lt 1000 ] && [ "$STILL_LOCKED" = yes ]; then
  pass "  ... and the REST API answers meanwhile (${API_MS[*]} ms)"
else fail "  ... the REST API was held up by the lock: ${API_MS[*]} ms"; fi
wait "$POOLER" "$SENDER" 2>/dev/null
wait "$HOLDER"
# After the lock: the event writer's next chunk goes through (it may be inside a 10 s wait that
# ends with the lock); a stranger is bound from the pool.
OUT="$(in_ns pcl timeout 20 bootpc --dev c1 --serverbcast --timeoutwait 5 2>&1)"
expect_out "^IPADDR='198.18.1.100'$" "after the lock: a stranger (bootpc) is bound from the pool"
sleep 1.5
LOST=$(metric bootkeeper_events_lost_total)
W1=$(metric bootkeeper_events_written_total)
BUSY=$(metric 'bootkeeper_bootp_dropped_total{reason="inventory_busy"}')
POOLB=$(metric bootkeeper_bootp_pool_bindings_total)
echo "   after the lock: events written $W0 -> $W1, lost $LOST; $(((HOLD_S - 3) * 5)) pool requests, refused as inventory_busy: $BUSY"
if [ "${LOST:-0}" -gt 0 ]; then pass "events that waited out the busy timeout are counted as lost ($LOST)"; else
  fail "no lost events counted ($LOST)"; fi
if [ "${W1:-0}" -gt "${W0:-0}" ]; then pass "  ... and events are written again after the lock ($W0 -> $W1)"; else
  fail "  ... no event written after the lock ($W0 -> $W1)"; fi
if [ "${BUSY:-0}" -ge $(((HOLD_S - 3) * 5 - 2)) ] && [ "${POOLB:-0}" -eq 1 ]; then
  pass "pool requests during the lock are dropped as inventory_busy ($BUSY), none bound till it ends"
else fail "inventory_busy drops: $BUSY, pool bindings: $POOLB"; fi
api "/api/v1/events?mac=52:54:00:99:00:01&limit=1000"
expect_out '"kind":"bootp.pool_bind"' "  ... the binding is in the event log"
n=$(grep -c " warning event log: " "$WORK/lock.log")
if [ "$n" -ge 1 ] && [ "$n" -le 2 ] && grep -q " warning event log: .*locked" "$WORK/lock.log"; then
  pass "the log says why events were lost (locked), in $n warning(s)"
else fail "$n 'event log' warnings" "$(grep -i "event\|busy" "$WORK/lock.log")"; fi
n=$(grep -c "pool binding for .* refused" "$WORK/lock.log")
if [ "$n" -eq 1 ]; then pass "  ... and why pool bindings were refused, once"; else
  fail "$n 'pool binding refused' warnings" "$(grep -i "busy" "$WORK/lock.log")"; fi
kill "$SERVER"
wait "$SERVER"
rc=$?
if [ "$rc" -eq 0 ]; then pass "server stopped cleanly"; else fail "server exit status $rc" "$(tail -5 "$WORK/lock.log")"; fi

# ======== 3. the inventory's file system is full ========
echo "# 3. the inventory on a full file system"
FULL="$WORK/full"
mkdir -p "$FULL"
# A tmpfs in a mount namespace of its own (gone with the daemon), entered by the daemon, which
# also enters the server's network namespace.
unshare -m --propagation private sh -c 'mount -t tmpfs -o size=16m bk-full "$1" && cp "$2" "$1/bk.db" &&
  exec ip netns exec "$3" "$4" --db "$1/bk.db" --images "$5" --server-name bootkeeper --no-tftp \
    --api-listen 127.0.0.1:8067' sh "$FULL" "$BASE" "$(ns srv)" "$BK" "$ROOT" >>"$WORK/full.log" 2>&1 &
SERVER=$!
on_exit "kill -9 $SERVER"
if ! wait_ready "$WORK/full.log" "$SERVER"; then fail "daemon on the tmpfs did not start" "$(cat "$WORK/full.log")"; finish; exit 1; fi
in_mnt() { nsenter -t "$SERVER" -m "$@"; }
read -r ms ip <<<"$(ask_ws01)"
sleep 1.2
F0=$(metric bootkeeper_events_written_total)
in_mnt dd if=/dev/zero of="$FULL/fill" bs=64k >/dev/null 2>&1
echo "   $(in_mnt df -h "$FULL" | tail -1 | awk '{print "tmpfs " $2 ", used " $3 ", free " $4}'); events written so far $F0"
in_ns gen python3 "$WORK/dur.py" send 198.18.2.1 300 4 &
SENDER=$!
LAT=()
MISSED=0
for _ in 1 2 3 4 5 6; do
  read -r ms ip <<<"$(ask_ws01)"
  LAT+=("$ms")
  [ "$ip" = 198.18.0.50 ] || MISSED=$((MISSED + 1))
  sleep 0.5
done
wait "$SENDER"
sleep 1.5
MAX=0
for l in "${LAT[@]}"; do [ "$l" -gt "$MAX" ] && MAX=$l; done
FLOST=$(metric bootkeeper_events_lost_total)
F1=$(metric bootkeeper_events_written_total)
echo "   disk full: ws01 reply times (ms): ${LAT[*]}; events written $F0 -> $F1, lost $FLOST"
if [ "$MISSED" -eq 0 ] && [ "$MAX" -lt 1000 ]; then pass "disk full: every request of ws01 answered (slowest $MAX ms)"; else
  fail "disk full: $MISSED of ${#LAT[@]} unanswered, slowest $MAX ms"; fi
if [ "${FLOST:-0}" -ge 300 ]; then pass "  ... the events and sightings that could not be written are counted as lost ($FLOST)"; else
  fail "  ... lost events: $FLOST (wanted 300 or more)" "$(tail -20 "$WORK/full.log")"; fi
if kill -0 "$SERVER" 2>/dev/null; then pass "  ... the daemon keeps running"; else fail "  ... the daemon died" "$(tail "$WORK/full.log")"; fi
WARNS=$(grep -c " warning event log: " "$WORK/full.log")
if [ "$WARNS" -ge 1 ] && [ "$WARNS" -le 2 ] && grep -q " warning event log: .*full" "$WORK/full.log"; then
  pass "  ... the log says why (disk full) in $WARNS warning(s), not once per event or batch"
else fail "  ... $WARNS 'event log' warnings" "$(grep -i "warn" "$WORK/full.log" | head -20)"; fi
# Space again: new events are written; nothing wedged.
in_mnt rm -f "$FULL/fill"
FREED=$(date -u +%Y-%m-%dT%H:%M:%S)
in_ns gen python3 "$WORK/dur.py" send 198.18.2.1 50 1
read -r ms ip <<<"$(ask_ws01)"
sleep 1.5
F2=$(metric bootkeeper_events_written_total)
api "/api/v1/events?since=$FREED&limit=1000"
AFTER=$(grep -o '"kind":"bootp.unknown"' <<<"$OUT" | wc -l)
echo "   space freed: events written $F1 -> $F2; $AFTER bootp.unknown events in the table since then"
if [ "${F2:-0}" -ge $((F1 + 50)) ] && [ "$AFTER" -ge 50 ] && [ "$ip" = 198.18.0.50 ]; then
  pass "space freed: new events are written again and ws01 is still answered"
else fail "space freed: written $F1 -> $F2, $AFTER events in the table, ws01 got '$ip'"; fi
if grep -q "event log: written again" "$WORK/full.log"; then pass "  ... and the log says so"; else
  fail "  ... no 'written again' in the log" "$(tail "$WORK/full.log")"; fi
OUT="$(in_mnt "$BK" --db "$FULL/bk.db" db check 2>&1)"
expect_out "^ok$" "  ... the database passes db check"
kill "$SERVER"
wait "$SERVER"
rc=$?
if [ "$rc" -eq 0 ]; then pass "server stopped cleanly"; else fail "server exit status $rc" "$(tail -5 "$WORK/full.log")"; fi

echo "# figures: a 10,000-row import took ${T_TOTAL} ms from the command line (write lock held $((T_UNLOCK - T_LOCK)) ms)" \
  "and ${API_SECS} s through the API (${API_HOLD_MS} ms); of $RUNS kill -9 runs," \
  "$(grep -c '^RESULT none' "$WORK/kills.txt") left none ($(grep -c '^RESULT none locked' "$WORK/kills.txt") inside the write" \
  "transaction), $(grep -c '^RESULT all' "$WORK/kills.txt") all, $PARTIAL some; write lock held ${HOLD_S} s: slowest reply" \
  "${LOCK_MAX} ms, $LOST events lost, $BUSY pool requests dropped as inventory_busy; disk full: slowest reply" \
  "$MAX ms, $FLOST events lost, $WARNS warning(s)"
echo "# $(($(date +%s) - T0)) s in all"
finish
