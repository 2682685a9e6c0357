#!/usr/bin/env bash
# The BOOTP server against real clients in network namespaces (198.18.0.0/15 only):
#   lab (198.18.0.0/24, pool .100-.199)  server s0 <-> c0 client   (bootpc, klibc ipconfig, pool)
#   far (198.18.1.0/24, no pool)         server s1 <-> d0 stranger
#   remote (198.18.10.0/24)              server s2 <-> r0 router (ISC dhcrelay) r1 <-> e0 client
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/netns.sh"
require_root
IPCONFIG=/usr/lib/klibc/bin/ipconfig
for tool in bootpc "$IPCONFIG" dhcrelay sqlite3 busybox; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed (deploy/setup installs it)"; finish; exit 1; }
done

DB="$WORK/bk.db"
mkdir -p "$WORK/images/lab"
head -c 42000 /dev/urandom >"$WORK/images/lab/pxelinux.0"
cat >"$WORK/lab.json" <<'JSON'
{"subnets": [{"name": "lab", "network": "198.18.0.0/24", "gateway": "198.18.0.1", "dns": ["198.18.0.1"],
              "domain": "lab.test", "next_server": "198.18.0.1",
              "pool": {"start": "198.18.0.100", "end": "198.18.0.199"}, "default_image": "lab-bios"},
             {"name": "far", "network": "198.18.1.0/24", "gateway": "198.18.1.1"},
             {"name": "remote", "network": "198.18.10.0/24", "gateway": "198.18.10.1"}],
 "images": [{"name": "lab-bios", "kind": "pxelinux", "boot_file": "lab/pxelinux.0", "kernel": "lab/vmlinuz",
             "root_path": "/srv/root"}],
 "machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01", "ip": "198.18.0.50", "image": "lab-bios",
               "options": {"root-path": "/srv/nfs/ws01"}},
              {"mac": "52:54:00:0a:00:01", "hostname": "rm01", "ip": "198.18.10.21", "image": "lab-bios"}]}
JSON
"$BK" --db "$DB" inventory import "$WORK/lab.json" >/dev/null || { fail "lab import"; finish; exit 1; }

ns_add srv; ns_add cli; ns_add far; ns_add rtr; ns_add rcl
link srv s0 cli c0 52:54:00:12:34:56
link srv s1 far d0 52:54:00:0f:0f:0f
link srv s2 rtr r0
link rtr r1 rcl e0 52:54:00:0a:00:01
in_ns srv ip addr add 198.18.0.1/24 dev s0
in_ns srv ip addr add 198.18.1.1/24 dev s1
in_ns srv ip addr add 198.18.20.1/24 dev s2
in_ns srv ip route add 198.18.10.0/24 via 198.18.20.2
in_ns rtr ip addr add 198.18.20.2/24 dev r0
in_ns rtr ip addr add 198.18.10.1/24 dev r1
in_ns rtr sysctl -qw net.ipv4.ip_forward=1
# bootpc listens for its reply only with a route for the broadcast (DESIGN.md's test-lab notes).
for n in cli:c0 far:d0 rcl:e0; do in_ns "${n%%:*}" ip route add default dev "${n##*:}"; done

start_server() {
  # Not through in_ns: $! must be the daemon itself (ip netns exec execs it).
  ip netns exec "$(ns srv)" "$BK" --db "$DB" --images "$WORK/images" --no-tftp --no-api --server-name bootkeeper \
    --log-level debug >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  on_exit "kill $SERVER"
  wait_ready "$WORK/server.log" "$SERVER"
}
stop_server() {
  kill "$SERVER"
  wait "$SERVER"
  local rc=$?
  if [ "$rc" -eq 0 ]; then pass "server stopped cleanly"; else fail "server exit status $rc on SIGTERM"; fi
}
bootpc_in() {  # bootpc_in NS IF: bootpc's variables, one per line
  in_ns "$1" timeout 20 bootpc --dev "$2" --serverbcast --timeoutwait 4 2>&1
}
start_server

# A second server on the same port is refused, not allowed to share the requests.
expect_exit 1 "a second server on port 67 is refused" -- ip netns exec "$(ns srv)" "$BK" --db "$WORK/other.db" \
  --images "$WORK/images" --no-tftp --no-api
expect_out "cannot listen on 0.0.0.0:67: Address already in use \(another DHCP/BOOTP server" "  ... saying why"

# 1. bootpc: address, mask, router, host name.
OUT="$(bootpc_in cli c0)"
expect_out "^IPADDR='198.18.0.50'$" "bootpc: address"
expect_out "^NETMASK='255.255.255.0'$" "bootpc: subnet mask"
expect_out "^GATEWAYS='198.18.0.1'$" "bootpc: router"
expect_out "^HOSTNAME='ws01'$" "bootpc: host name"
expect_out "^DNSSRVS='198.18.0.1'$" "bootpc: DNS server"
expect_out "^ROOT_PATH='/srv/nfs/ws01'$" "bootpc: the machine's root path beats the image's"
expect_out "^BOOTFILE='lab/pxelinux.0'$" "bootpc: boot file"

# 2. klibc ipconfig (236-byte requests, no vendor area): the same, plus root path and boot file.
rm -f /run/net-c0.conf
OUT="$(in_ns cli timeout 20 "$IPCONFIG" -c bootp -t 5 -n c0 2>&1; cat /run/net-c0.conf 2>&1)"
expect_out "^IPV4ADDR='198.18.0.50'$" "ipconfig: address"
expect_out "^IPV4NETMASK='255.255.255.0'$" "ipconfig: subnet mask"
expect_out "^IPV4GATEWAY='198.18.0.1'$" "ipconfig: router"
expect_out "^HOSTNAME='ws01'$" "ipconfig: host name"
expect_out "^ROOTPATH='/srv/nfs/ws01'$" "ipconfig: root path"
expect_out "^filename='lab/pxelinux.0'$" "ipconfig: boot file"
expect_out "^ROOTSERVER='198.18.0.1'$" "ipconfig: next server"
rm -f /run/net-c0.conf

# 2b. The DHCP form (as PXE firmware asks): busybox udhcpc, DISCOVER -> OFFER, REQUEST -> ACK.
printf '#!/bin/sh\n[ "$1" = bound ] && env > %s\n' "$WORK/udhcpc.env" >"$WORK/udhcpc.sh"
chmod +x "$WORK/udhcpc.sh"
in_ns cli timeout 20 busybox udhcpc -i c0 -n -q -f -t 3 -T 2 -s "$WORK/udhcpc.sh" >"$WORK/udhcpc.log" 2>&1
OUT="$(cat "$WORK/udhcpc.env" 2>&1; cat "$WORK/udhcpc.log")"
expect_out "^ip=198.18.0.50$" "udhcpc (DHCP): the machine's address"
expect_out "^serverid=198.18.0.1$" "udhcpc: the server identifier"
expect_out "^lease=86400$" "udhcpc: a lease of one day"
expect_out "^hostname=ws01$" "udhcpc: host name"
expect_out "^router=198.18.0.1$" "udhcpc: router"
expect_out "^boot_file=lab/pxelinux.0$" "udhcpc: boot file"
# Saying it is iPXE (user class 77 = "iPXE"), it gets the machine's generated iPXE script.
rm -f "$WORK/udhcpc.env"
in_ns cli timeout 20 busybox udhcpc -i c0 -n -q -f -t 3 -T 2 -x 0x4d:69505845 -s "$WORK/udhcpc.sh" >"$WORK/udhcpc.log" 2>&1
OUT="$(cat "$WORK/udhcpc.env" 2>&1; cat "$WORK/udhcpc.log")"
expect_out "^boot_file=lab/pxelinux.0$" "udhcpc as iPXE (option 77), pxelinux image: still pxelinux (iPXE ROMs start it)"
# As an EFI x64 client (option 93 = 7): the pxelinux image has nothing for it, so no reply, and
# an event that says why.
udhcpc_as() {  # udhcpc_as OPTION...: one DHCP exchange from cli, its variables and log in $OUT
  rm -f "$WORK/udhcpc.env"
  in_ns cli timeout 20 busybox udhcpc -i c0 -n -q -f -t 2 -T 1 "$@" -s "$WORK/udhcpc.sh" >"$WORK/udhcpc.log" 2>&1
  OUT="$(cat "$WORK/udhcpc.env" 2>/dev/null; cat "$WORK/udhcpc.log")"
}
udhcpc_as -x 0x5d:0007
if grep -q "^ip=" <<<"$OUT"; then fail "EFI x64 client of a BIOS-only image got a lease" "$OUT"; else
  pass "EFI x64 client of a BIOS-only image: no reply"; fi
sleep 0.5
OUT="$(sqlite3 "$DB" "select json_extract(detail, '$.note') from events where kind = 'bootp.refused'")"
expect_out "^image lab-bios has no boot file for EFI x64$" "  ... and an event that says why"
# An iPXE image with an EFI x64 boot file: EFI firmware gets that file, then iPXE its script.
sed 's/"kind": "pxelinux", "boot_file": "lab\/pxelinux.0"/"kind": "ipxe", "boot_file": "lab\/undionly.kpxe", "boot_files": {"efi-x64": "lab\/ipxe.efi"}/' \
  "$WORK/lab.json" >"$WORK/lab-ipxe.json"
"$BK" --db "$DB" inventory import "$WORK/lab-ipxe.json" >/dev/null || fail "import of the iPXE image"
sleep 1.2
udhcpc_as -x 0x5d:0007
expect_out "^boot_file=lab/ipxe.efi$" "EFI x64 client (option 93 = 7): the image's EFI boot file"
udhcpc_as -x 0x5d:0000
expect_out "^boot_file=lab/undionly.kpxe$" "BIOS client (option 93 = 0): the image's plain boot file"
udhcpc_as -x 0x5d:0007 -x 0x4d:69505845
expect_out "^boot_file=52-54-00-12-34-56.ipxe$" "EFI iPXE (options 93 and 77): the iPXE script, not the chainloader"
"$BK" --db "$DB" inventory import "$WORK/lab.json" >/dev/null || fail "import of the lab again"
sleep 1.2

# 3. Relayed through ISC dhcrelay: the reply goes to giaddr:67 and back to the client.
ip netns exec "$(ns rtr)" dhcrelay -4 -d -q -i r1 -i r0 198.18.20.1 >"$WORK/relay.log" 2>&1 &
RELAY=$!
on_exit "kill $RELAY"
sleep 1
OUT="$(bootpc_in rcl e0)"
expect_out "^IPADDR='198.18.10.21'$" "relayed: address through dhcrelay"
expect_out "^GATEWAYS='198.18.10.1'$" "relayed: the remote subnet's router"
expect_out "^HOSTNAME='rm01'$" "relayed: host name"
OUT="$(cat "$WORK/server.log")"
expect_out "BOOTP: listening" "server log is there"

# 4. A stranger on a segment without a pool: no reply, listed as discovered.
OUT="$(bootpc_in far d0)"
if grep -q "^IPADDR=" <<<"$OUT"; then fail "stranger got an address" "$OUT"; else pass "stranger: no reply"; fi
sleep 0.5
OUT="$(sqlite3 "$DB" "select mac, count from discovered")"
expect_out "^52:54:00:0f:0f:0f\|[0-9]+$" "stranger: recorded in discovered"

# 5. A stranger on the pool segment: the lowest free address, the same twice and after a restart.
in_ns cli ip link set c0 address 52:54:00:77:00:01
OUT="$(bootpc_in cli c0)"
expect_out "^IPADDR='198.18.0.100'$" "pool: first free address"
expect_out "^HOSTNAME='lab-0-100'$" "pool: generated host name"
OUT="$(bootpc_in cli c0)"
expect_out "^IPADDR='198.18.0.100'$" "pool: the same address the second time"
stop_server
start_server
OUT="$(bootpc_in cli c0)"
expect_out "^IPADDR='198.18.0.100'$" "pool: the same address after a restart"
OUT="$(sqlite3 "$DB" "select origin from machines where mac = '52:54:00:77:00:01'")"
expect_out "^pool$" "pool: stored as origin=pool"

# 6. Another process edits the inventory: the next request is answered from the new data.
in_ns cli ip link set c0 address 52:54:00:12:34:56
"$BK" --db "$DB" inventory export >"$WORK/now.json"
sed -i 's/"hostname": "ws01"/"hostname": "ws01-renamed"/' "$WORK/now.json"
"$BK" --db "$DB" inventory import "$WORK/now.json" >/dev/null
sleep 1.5
OUT="$(bootpc_in cli c0)"
expect_out "^HOSTNAME='ws01-renamed'$" "an edit by another process is answered without a restart"

# 7. Hostile packets from a host on the far segment: no crash, no reply, each drop counted.
in_ns far ip addr add 198.18.1.77/24 dev d0
send_udp() {  # send_udp HEX: one datagram to the server's port 67
  local h="$1" fmt="" i
  for ((i = 0; i < ${#h}; i += 2)); do fmt+="\\x${h:i:2}"; done
  printf "$fmt" >"$WORK/datagram"
  in_ns far bash -c "cat '$WORK/datagram' >/dev/udp/198.18.1.1/67"
}
hdr() {  # hdr OP HTYPE HLEN HOPS: a 236-byte header for chaddr 52:54:00:0f:0f:0f
  printf '%s%s%s%s' "$1" "$2" "$3" "$4"; printf '00%.0s' $(seq 24)
  printf '5254000f0f0f'; printf '00%.0s' $(seq 202)
}
cookie=63825363
send_udp 0101                                            # 2 bytes
send_udp "$(hdr 01 01 06 00 | head -c 400)"              # truncated header
send_udp "$(hdr 01 01 11 00)${cookie}ff"                 # hlen 17
send_udp "$(hdr 02 01 06 00)${cookie}ff"                 # a BOOTREPLY sent to the server
send_udp "$(hdr 01 06 06 00)${cookie}ff"                 # not Ethernet
send_udp "$(hdr 01 01 06 11)${cookie}ff"                 # 17 hops
send_udp "$(hdr 01 01 06 00)${cookie}0c00ff"             # option length 0
send_udp "$(hdr 01 01 06 00)${cookie}2bff0102"           # length 255, running past the end
send_udp "$(hdr 01 01 06 00)${cookie}$(printf '00%.0s' $(seq 60))"   # nothing but Pad
# A stranger that names itself with quotes and SQL: stored as data.
evil="$(printf "'; DROP TABLE machines; --" | od -An -tx1 | tr -d ' \n')"
send_udp "$(hdr 01 01 06 00)${cookie}0c$(printf '%02x' $((${#evil} / 2)))${evil}ff"
# A 64 KiB datagram: dd writes its one block in one write(), so it leaves as one datagram.
in_ns far bash -c "dd if=/dev/zero bs=65000 count=1 status=none >/dev/udp/198.18.1.1/67"
sleep 1
OUT="$(sqlite3 "$DB" "select hostname from discovered where mac = '52:54:00:0f:0f:0f'")"
expect_out "^'; DROP TABLE machines; --$" "client-supplied host name stored as data"
OUT="$(sqlite3 "$DB" "select count(*) from machines")"
expect_out "^[1-9]" "  ... and nothing was interpreted"

# Events tell the story.
stop_server
OUT="$(sqlite3 "$DB" "select kind || ' ' || ifnull(mac,'') from events")"
expect_out "^bootp.reply 52:54:00:12:34:56$" "events: replies recorded"
expect_out "^bootp.unknown 52:54:00:0f:0f:0f$" "events: the stranger recorded"
expect_out "^bootp.pool_bind 52:54:00:77:00:01$" "events: the pool binding recorded"
OUT="$(cat "$WORK/server.log")"
expect_out "stopped: BOOTP [0-9]+ received" "server stops cleanly with counts"
expect_out "dropped:.* malformed=4" "drops counted: 2 bytes, truncated header, hlen 17, 64 KiB"
expect_out "dropped:.* not_request=1" "drops counted: a BOOTREPLY"
expect_out "dropped:.* not_ethernet=1" "drops counted: not Ethernet"
expect_out "dropped:.* too_many_hops=1" "drops counted: too many hops"
finish
