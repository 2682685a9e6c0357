#!/usr/bin/env bash
# bootkeeperd without root: as the unprivileged user nobody, with only CAP_NET_BIND_SERVICE
# (ports 67 and 69) and CAP_NET_ADMIN (ARP entries for unicast replies) as ambient
# capabilities, the way a systemd unit starts it; the image root is read-only to it and only
# its state folder is writable. In network namespaces (198.18.0.0/24):
#   server s0 198.18.0.1 <-> c0 client (bootpc, tftp); the API on the server's loopback
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/netns.sh"
require_root
for tool in setpriv bootpc tftp busybox curl; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed (deploy/setup installs it)"; finish; exit 1; }
done
RUN_AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+net_bind_service,+net_admin
        --ambient-caps=+net_bind_service,+net_admin)

# The image root belongs to root and is only readable by others; the state folder is nobody's.
chmod 755 "$WORK"
ROOT="$WORK/images"
STATE="$WORK/state"
mkdir -p "$ROOT/lab" "$STATE"
head -c 200000 /dev/urandom >"$ROOT/lab/pxelinux.0"
chmod -R u=rwX,go=rX "$ROOT"
chown nobody:nogroup "$STATE"
cat >"$WORK/lab.json" <<'JSON'
{"subnets": [{"name": "lab", "network": "198.18.0.0/24", "gateway": "198.18.0.1", "next_server": "198.18.0.1"}],
 "images": [{"name": "lab-bios", "kind": "pxelinux", "boot_file": "lab/pxelinux.0"}],
 "machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01", "ip": "198.18.0.50", "image": "lab-bios"}]}
JSON
"${RUN_AS[@]}" "$BK" --db "$STATE/bk.db" inventory import "$WORK/lab.json" >/dev/null || { fail "inventory import as nobody"; finish; exit 1; }

ns_add srv
ns_add cli
link srv s0 cli c0 52:54:00:12:34:56
in_ns srv ip addr add 198.18.0.1/24 dev s0
in_ns cli ip route add default dev c0

ADMIN=$("${RUN_AS[@]}" "$BK" --db "$STATE/bk.db" token create --role admin --name it-admin | tail -1)

ip netns exec "$(ns srv)" "${RUN_AS[@]}" "$BK" --db "$STATE/bk.db" --images "$ROOT" \
  --api-listen 127.0.0.1:8067 --server-name bootkeeper >>"$WORK/server.log" 2>&1 &
SERVER=$!
on_exit "kill $SERVER"
wait_ready "$WORK/server.log" "$SERVER"
# setpriv execs the daemon, so $SERVER is bootkeeperd itself.
OUT="$(grep -E '^(Uid|CapEff|CapAmb|CapPrm)' "/proc/$SERVER/status" 2>&1)"
expect_out "^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534$" "the running daemon is not root (uid nobody)"
expect_out "^CapEff:[[:space:]]+0000000000001400$" "  ... and holds only CAP_NET_BIND_SERVICE and CAP_NET_ADMIN"

OUT="$(in_ns cli timeout 20 bootpc --dev c0 --serverbcast --timeoutwait 4 2>&1)"
expect_out "^IPADDR='198.18.0.50'$" "bootpc gets its address from the unprivileged server (port 67)"
# Without the broadcast flag the reply goes unicast, after an ARP entry for the client that
# only CAP_NET_ADMIN lets the daemon add.
in_ns srv ip neigh flush dev s0
in_ns cli timeout 20 busybox udhcpc -i c0 -n -q -f -t 3 -T 2 -s /bin/true >/dev/null 2>&1
OUT="$(in_ns srv ip neigh show dev s0 2>&1)"
expect_out "^198.18.0.50 lladdr 52:54:00:12:34:56" "  ... and, for a DHCP client, adds the ARP entry for its unicast reply (CAP_NET_ADMIN)"
rm -f "$WORK/fetched"
in_ns cli ip addr add 198.18.0.50/24 dev c0
in_ns cli tftp 198.18.0.1 -m binary -c get lab/pxelinux.0 "$WORK/fetched"
if cmp -s "$ROOT/lab/pxelinux.0" "$WORK/fetched"; then pass "tftp fetches the boot file byte-identical (port 69)"; else
  fail "tftp got other bytes or nothing"; fi
if "${RUN_AS[@]}" touch "$ROOT/lab/written" 2>/dev/null; then fail "the image root is writable by the daemon's user"; else
  pass "the image root is read-only to the daemon's user"; fi
OUT="$(in_ns cli tftp 198.18.0.1 -m binary -c put "$WORK/lab.json" lab/written 2>&1)"
expect_out "Error code 2" "  ... and a TFTP write is refused"
# An API upload cannot write there either: a 403 that says how to allow uploads, not a 500.
OUT="$(in_ns srv curl -sS -w '\n%{http_code}' -X PUT -H "Authorization: Bearer $ADMIN" \
  -T "$WORK/lab.json" "http://127.0.0.1:8067/api/v1/images/1/content" 2>&1)"
expect_out "^403$" "  ... and an API upload is refused with 403"
expect_out "read-only to bootkeeperd.*ReadWritePaths" "  ... whose detail says how to allow uploads"
if cmp -s "$ROOT/lab/pxelinux.0" "$WORK/fetched" && [ -z "$(find "$ROOT" -name '.*upload*')" ]; then
  pass "  ... leaving the boot file as it was and no temporary file"; else
  fail "the refused upload changed the image root" "$(ls -laR "$ROOT")"; fi

kill "$SERVER"
wait "$SERVER"
rc=$?
if [ "$rc" -eq 0 ]; then pass "server stopped cleanly"; else fail "server exit status $rc on SIGTERM" "$(tail -5 "$WORK/server.log")"; fi
finish
