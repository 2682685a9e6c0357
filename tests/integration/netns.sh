# Helpers for tests that build their own network in namespaces. Addresses come from
# 198.18.0.0/15 only, and every namespace and link is removed on exit.
NS_PREFIX="bk$$"
NAMESPACES=()

ns_add() {  # ns_add NAME: a namespace with loopback up
  local ns="$NS_PREFIX-$1"
  ip netns add "$ns"
  NAMESPACES+=("$ns")
  on_exit "ip netns del $ns"
  ip -n "$ns" link set lo up
}
ns() { echo "$NS_PREFIX-$1"; }
in_ns() { local n="$1"; shift; ip netns exec "$(ns "$n")" "$@"; }

# link A IFA B IFB [MAC-of-B]: a veth pair between two namespaces.
link() {
  local a="$1" ifa="$2" b="$3" ifb="$4" mac="${5:-}"
  ip link add "$ifa" netns "$(ns "$a")" type veth peer name "$ifb" netns "$(ns "$b")"
  [ -n "$mac" ] && ip -n "$(ns "$b")" link set "$ifb" address "$mac"
  ip -n "$(ns "$a")" link set "$ifa" up
  ip -n "$(ns "$b")" link set "$ifb" up
}

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "this test builds network namespaces and must run as root (CI does)"
    exit 1
  fi
}
