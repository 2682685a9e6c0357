#!/usr/bin/env bash
# deploy/lab as an administrator runs it: a machine of the inventory booted in the virtual lab
# (the cloud kernel with the test initramfs), its console streamed, then the server's events;
# and a subnet outside 198.18.0.0/15 refused before anything is built.
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../integration/lib.sh"
require_root() { [ "$(id -u)" -eq 0 ] || { echo "deploy/lab builds a namespace and must run as root"; exit 1; }; }
require_root
LAB="$here/../../deploy/lab"

mkdir -p "$WORK/images/room"
head -c 100000 /dev/urandom >"$WORK/images/room/loader.0"
cat >"$WORK/lab.json" <<'JSON'
{"subnets": [{"name": "room", "network": "198.18.7.0/24", "gateway": "198.18.7.1", "next_server": "198.18.7.1"},
             {"name": "real", "network": "10.99.0.0/24", "gateway": "10.99.0.1"}],
 "images": [{"name": "room", "kind": "raw", "boot_file": "room/loader.0", "root_path": "/srv/room"}],
 "machines": [{"mac": "52:54:00:07:00:20", "hostname": "room20", "ip": "198.18.7.20", "image": "room"},
              {"mac": "52:54:00:07:00:21", "hostname": "real21", "ip": "10.99.0.21", "image": "room"}]}
JSON
"$BK" --db "$WORK/bk.db" inventory import "$WORK/lab.json" >/dev/null || { fail "inventory import"; finish; exit 1; }

expect_exit 0 "deploy/lab boots room20 and the VM powers off" -- \
  "$LAB" --db "$WORK/bk.db" --images "$WORK/images" --mac 52-54-00-07-00-20 --firmware kernel --timeout 150 \
  --bootkeeperd "$BK"
expect_out "^BK-E2E IPV4ADDR='?198.18.7.20'?" "  ... the console shows the machine's address"
expect_out "^BK-E2E HOSTNAME='?room20'?" "  ... and its host name"
expect_out "^lab: the VM powered off" "  ... the lab says how it ended"
expect_out "bootp.reply" "  ... and lists the server's events for the machine"
expect_out "tftp.finish" "  ... including the boot file's transfer"

expect_exit 1 "a machine outside 198.18.0.0/15 is refused" -- \
  "$LAB" --db "$WORK/bk.db" --images "$WORK/images" --mac 52:54:00:07:00:21 --firmware kernel --bootkeeperd "$BK"
expect_out "outside 198.18.0.0/15: the lab uses no real addresses" "  ... saying why"
expect_exit 1 "a MAC that is not in the inventory is refused" -- \
  "$LAB" --db "$WORK/bk.db" --images "$WORK/images" --mac 52:54:00:07:00:99 --bootkeeperd "$BK"
expect_out "register it first" "  ... saying what to do"
finish
