#!/usr/bin/env bash
# bootkeeper-relay in network namespaces (198.18.0.0/15 only), with a router in the middle:
#   clients (198.18.10.0/24)  q0 <-> q1 router (the relay) q2 <-> q3 server (198.18.20.0/24)
# 1. bootpc and klibc ipconfig get their address through bootkeeper-relay, and the server's
#    events name the relay's address; 2. the same through ISC dhcrelay; 3. bootkeeper-relay in
#    front of dnsmasq, for BOOTP and the DHCP form (busybox udhcpc); 4. malformed datagrams from either side and a reply for a giaddr that is
#    not the relay's are dropped and counted.
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/netns.sh"
require_root
RELAY_BIN="$(dirname "$BK")/bootkeeper-relay"
IPCONFIG=/usr/lib/klibc/bin/ipconfig
for tool in "$RELAY_BIN" bootpc "$IPCONFIG" dhcrelay dnsmasq sqlite3 busybox; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed (deploy/setup installs it)"; finish; exit 1; }
done

DB="$WORK/bk.db"
mkdir -p "$WORK/images/lab"
head -c 42000 /dev/urandom >"$WORK/images/lab/pxelinux.0"
cat >"$WORK/lab.json" <<'JSON'
{"subnets": [{"name": "remote", "network": "198.18.10.0/24", "gateway": "198.18.10.1", "dns": ["198.18.20.1"],
              "default_image": "lab-bios"},
             {"name": "servers", "network": "198.18.20.0/24"}],
 "images": [{"name": "lab-bios", "kind": "pxelinux", "boot_file": "lab/pxelinux.0", "root_path": "/srv/root"}],
 "machines": [{"mac": "52:54:00:0a:00:01", "hostname": "rm01", "ip": "198.18.10.21"}]}
JSON
"$BK" --db "$DB" inventory import "$WORK/lab.json" >/dev/null || { fail "lab import"; finish; exit 1; }

ns_add cli; ns_add rtr; ns_add srv
link cli q0 rtr q1
link rtr q2 srv q3
in_ns cli ip link set q0 address 52:54:00:0a:00:01
in_ns rtr ip addr add 198.18.10.1/24 dev q1
in_ns rtr ip addr add 198.18.20.2/24 dev q2
in_ns srv ip addr add 198.18.20.1/24 dev q3
in_ns srv ip route add 198.18.10.0/24 via 198.18.20.2
in_ns cli ip route add default dev q0  # bootpc listens for its reply only with a route

start_server() {
  # Not through in_ns: $! must be the daemon itself (ip netns exec execs it).
  ip netns exec "$(ns srv)" "$BK" --db "$DB" --images "$WORK/images" --no-tftp --no-api --log-level debug \
    >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  on_exit "kill $SERVER"
  wait_ready "$WORK/server.log" "$SERVER"
}
start_relay() {  # start_relay NAME: ours or dhcrelay, on the router
  if [ "$1" = bootkeeper-relay ]; then
    ip netns exec "$(ns rtr)" "$RELAY_BIN" --interface q1 --server 198.18.20.1 --log-level debug \
      >"$WORK/relay.log" 2>&1 &
  else
    ip netns exec "$(ns rtr)" dhcrelay -4 -d -q -i q1 -i q2 198.18.20.1 >"$WORK/relay.log" 2>&1 &
  fi
  RELAY=$!
  on_exit "kill $RELAY"
  for _ in $(seq 50); do in_ns rtr ss -Hlun "sport = :67" | grep -q . && return; sleep 0.1; done
}
stop_relay() {
  kill "$RELAY"
  wait "$RELAY"
  RELAY_RC=$?
}
clients_through() {  # clients_through RELAY-NAME
  OUT="$(in_ns cli timeout 20 bootpc --dev q0 --serverbcast --timeoutwait 4 2>&1)"
  expect_out "^IPADDR='198.18.10.21'$" "$1: bootpc gets its address"
  expect_out "^GATEWAYS='198.18.10.1'$" "$1: ... its subnet's router"
  expect_out "^HOSTNAME='rm01'$" "$1: ... and host name"
  rm -f /run/net-q0.conf
  OUT="$(in_ns cli timeout 20 "$IPCONFIG" -c bootp -t 5 -n q0 2>&1; cat /run/net-q0.conf 2>&1)"
  expect_out "^IPV4ADDR='198.18.10.21'$" "$1: klibc ipconfig gets its address"
  expect_out "^ROOTPATH='/srv/root'$" "$1: ... and the image's root path"
  rm -f /run/net-q0.conf
  OUT="$(in_ns cli timeout 20 busybox udhcpc -i q0 -n -q -f -t 3 -T 2 -s /bin/true 2>&1)"
  expect_out "lease of 198.18.10.21 obtained" "$1: busybox udhcpc (the DHCP form) gets its lease"
}

start_server

# 1. bootkeeper-relay.
start_relay bootkeeper-relay
clients_through bootkeeper-relay
for _ in $(seq 30); do  # events are written by a worker, in batches
  OUT="$(sqlite3 "$DB" "select detail from events where kind = 'bootp.reply' and mac = '52:54:00:0a:00:01'")"
  grep -q relay <<<"$OUT" && break
  sleep 0.1
done
expect_out '"relay":"198.18.10.1"' "the server's events name the relay's address"

# 4. Bad datagrams from either side. A BOOTREPLY of 300 bytes whose giaddr (198.18.99.1) is not
#    the relay's, sent from the server's side; a 10-byte datagram from each side.
bad_reply="$WORK/bad-reply"
{ printf '\x02\x01\x06\x00\x00\x00\xbe\xef'; head -c 16 /dev/zero; printf '\xc6\x12\x63\x01'
  printf '\x52\x54\x00\x0a\x00\x01'; head -c 266 /dev/zero; } >"$bad_reply"
in_ns srv bash -c "cat '$bad_reply' >/dev/udp/198.18.20.2/67"
in_ns srv bash -c "printf 'not bootp!' >/dev/udp/198.18.20.2/67"
in_ns cli ip addr add 198.18.10.99/24 dev q0  # a source address for the unicast junk
in_ns cli bash -c "printf 'not bootp!' >/dev/udp/198.18.10.1/67"
in_ns cli ip addr del 198.18.10.99/24 dev q0  # (which takes the device's routes with it)
in_ns cli ip route replace default dev q0
sleep 0.3
kill -0 "$RELAY" 2>/dev/null && pass "the relay survives bad datagrams" || fail "the relay died" "$(cat "$WORK/relay.log")"
stop_relay
if [ "$RELAY_RC" -eq 0 ]; then pass "bootkeeper-relay stopped cleanly"; else fail "bootkeeper-relay exit status $RELAY_RC"; fi
OUT="$(cat "$WORK/relay.log")"
expect_out "q1: [2-9] requests forwarded, [2-9] replies delivered, dropped: malformed=1$" \
  "counted on the client side: requests, replies, one malformed"
expect_out "q2: 0 requests forwarded, 0 replies delivered, dropped: malformed=1 not_ours=1$" \
  "counted on the server side: one malformed, one reply not ours"

# 2. ISC dhcrelay in its place.
start_relay dhcrelay
clients_through dhcrelay
stop_relay

# 3. bootkeeper-relay in front of dnsmasq (which answers BOOTP for its dhcp-host entries).
kill "$SERVER"
wait "$SERVER"
ip netns exec "$(ns srv)" dnsmasq -k --conf-file=/dev/null --port=0 --pid-file= --interface=q3 --bind-interfaces \
  --dhcp-range=198.18.10.0,static,255.255.255.0 --dhcp-host=52:54:00:0a:00:01,198.18.10.30,dm30 \
  --dhcp-option=3,198.18.10.1 --log-dhcp >"$WORK/dnsmasq.log" 2>&1 &
DNSMASQ=$!
on_exit "kill $DNSMASQ"
for _ in $(seq 50); do in_ns srv ss -Hlun "sport = :67" | grep -q . && break; sleep 0.1; done
start_relay bootkeeper-relay
OUT="$(in_ns cli timeout 20 bootpc --dev q0 --serverbcast --timeoutwait 4 2>&1)"
expect_out "^IPADDR='198.18.10.30'$" "bootkeeper-relay in front of dnsmasq: bootpc gets dnsmasq's address"
expect_out "^HOSTNAME='dm30'$" "  ... and its host name"
# The DHCP form (as PXE firmware sends it) through the same relay: busybox udhcpc.
OUT="$(in_ns cli timeout 20 busybox udhcpc -i q0 -n -q -f -t 3 -T 2 -s /bin/true 2>&1)"
expect_out "lease of 198.18.10.30 obtained" "the DHCP form through bootkeeper-relay: udhcpc gets dnsmasq's lease"
stop_relay
kill "$DNSMASQ"

finish
