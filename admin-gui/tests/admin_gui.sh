#!/usr/bin/env bash
# The admin GUI's QtTest suite against a real bootkeeperd, in network namespaces (198.18.0.0/15):
#   srv: bootkeeperd (BOOTP on s0 198.18.0.1, the API on the namespace's 127.0.0.1:8067) and the
#        GUI under test (QT_QPA_PLATFORM=offscreen)
#   cli: c0, where bootpc makes real BOOTP exchanges for the test (BK_BOOTPC MAC)
# With BK_SCREENSHOTS=DIR the suite also saves a picture of each view there.
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tests/integration/lib.sh"
source "$here/../../tests/integration/netns.sh"
require_root
TESTS="${BK_ADMIN_TESTS:?set BK_ADMIN_TESTS to the bk_admin_tests binary}"
command -v bootpc >/dev/null || { fail "bootpc is not installed (deploy/setup installs it)"; finish; exit 1; }

DB="$WORK/bk.db"
mkdir -p "$WORK/images/lab"
head -c 20000 /dev/urandom >"$WORK/images/lab/pxelinux.0"
cat >"$WORK/lab.json" <<'JSON'
{"subnets": [{"name": "lab", "network": "198.18.0.0/24", "gateway": "198.18.0.1", "next_server": "198.18.0.1",
              "dns": ["198.18.0.1"], "default_image": "lab-bios"},
             {"name": "bulk", "network": "198.18.64.0/18"}],
 "images": [{"name": "lab-bios", "kind": "pxelinux", "boot_file": "lab/pxelinux.0", "kernel": "lab/vmlinuz",
             "initrd": "lab/initrd.gz", "cmdline": "console=ttyS0", "root_path": "/srv/root"},
            {"name": "lab-efi", "kind": "efi", "boot_file": "lab/bootx64.efi"}],
 "machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01", "ip": "198.18.0.50", "image": "lab-bios",
               "group": "room-a"},
              {"mac": "52:54:00:12:34:57", "hostname": "ws02", "ip": "198.18.0.51", "image": "lab-bios",
               "group": "room-a", "enabled": false}]}
JSON
"$BK" --db "$DB" inventory import "$WORK/lab.json" >/dev/null || { fail "inventory import"; finish; exit 1; }
TOKEN=$("$BK" --db "$DB" token create --role admin --name gui-test | tail -1)

ns_add srv
ns_add cli
link srv s0 cli c0
in_ns srv ip addr add 198.18.0.1/24 dev s0
in_ns cli ip route add default dev c0
cat >"$WORK/bootpc.sh" <<SH
#!/bin/sh
# One BOOTP exchange from the client namespace as MAC \$1 (no answer is an answer too).
ip -n $(ns cli) link set c0 down
ip -n $(ns cli) link set c0 address "\$1"
ip -n $(ns cli) link set c0 up
# bootpc hears its reply only with a route for the broadcast, and link down took it away.
ip -n $(ns cli) route replace default dev c0
ip netns exec $(ns cli) timeout 15 bootpc --dev c0 --serverbcast --timeoutwait 3 >/dev/null 2>&1
exit 0
SH
chmod +x "$WORK/bootpc.sh"

ip netns exec "$(ns srv)" "$BK" --db "$DB" --images "$WORK/images" --no-tftp --api-listen 127.0.0.1:8067 \
  --server-name bootkeeper >>"$WORK/server.log" 2>&1 &
SERVER=$!
on_exit "kill $SERVER"
wait_ready "$WORK/server.log" "$SERVER"

OUT="$(ip netns exec "$(ns srv)" env QT_QPA_PLATFORM=offscreen HOME="$WORK" XDG_CONFIG_HOME="$WORK/config" \
  BK_API=http://127.0.0.1:8067 BK_TOKEN="$TOKEN" BK_BOOTPC="$WORK/bootpc.sh" \
  BK_SCREENSHOTS="${BK_SCREENSHOTS:-}" "$TESTS" 2>&1)"
rc=$?
echo "$OUT"
if [ "$rc" -eq 0 ]; then pass "QtTest suite against bootkeeperd"; else fail "QtTest suite: $rc failed" "$(tail -20 "$WORK/server.log")"; fi
finish
