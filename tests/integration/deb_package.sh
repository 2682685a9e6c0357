#!/usr/bin/env bash
# shellcheck disable=SC2001,SC2015,SC2016  # `test && pass || fail` (pass never fails); dpkg-query formats
# The Debian package: cpack builds it from the build folder of $BK_BOOTKEEPERD (into a
# temporary folder), dpkg installs it into a scratch root, and the checks look at what landed
# there: fields, files, conffiles, the user, the folders, the units; then bootkeeperd runs from
# the scratch root the way its unit starts it, and the package is removed and purged.
#
# The scratch root: this machine's /usr under an overlay (the package's files land in the
# overlay's upper folder, never in /usr), /bin /lib /lib64 /sbin as the usr-merge symlinks, its
# own /etc (copies of the account files and what adduser reads) and its own dpkg database (a
# copy of this machine's status and file lists, so that Depends are checked against packages
# that really are in that /usr). Everything is mounted in a private mount namespace: nothing is
# visible outside it and the kernel drops it all when the test ends. The daemon runs in a
# network namespace with 198.18.0.1/24 only.
if [ -z "${BK_DEB_PRIVATE_MOUNTS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "this test mounts a scratch root and must run as root (CI does)"; exit 1; }
  BK_DEB_PRIVATE_MOUNTS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/netns.sh"
require_root
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps systemd-analyze setpriv curl chroot; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed (deploy/setup installs it)"; finish; exit 1; }
done
started=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
elapsed() { since "$started"; }
BUILD="$(cd "$(dirname "$BK")/.." && pwd)"  # BK_BOOTKEEPERD is <build>/server/bootkeeperd
VERSION="$("$BK" --version | awk '{print $2}')"
host_sums() { md5sum /etc/passwd /etc/group /etc/shadow /var/lib/dpkg/status 2>&1; }
HOST_BEFORE="$(host_sums)"

# --- the package -------------------------------------------------------------------------------
t=$(date +%s.%N)
if ! OUT="$(cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg" 2>&1)"; then
  fail "cpack -G DEB in $BUILD" "$OUT"; finish; exit 1
fi
debs=("$WORK"/pkg/bootkeeper_*.deb)
DEB="${debs[0]}"
if [ -f "$DEB" ]; then
  pass "cpack made $(basename "$DEB"): $(stat -c %s "$DEB") bytes in $(since "$t")"
else
  fail "cpack made no bootkeeper_*.deb" "$OUT"; finish; exit 1
fi
field() { dpkg-deb --field "$DEB" "$1"; }
echo "       Depends: $(field Depends)"
[ "$(field Package)" = bootkeeper ] && pass "Package: bootkeeper" || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$VERSION" ] && pass "Version: $VERSION, the one bootkeeperd --version reports" ||
  fail "Version is '$(field Version)', bootkeeperd says $VERSION"
OUT="$(field Depends)"
expect_out "(^|, )libsqlite3-0( |,|$)" "Depends names libsqlite3-0 (dpkg-shlibdeps ran)"
expect_out "(^|, )libc6 \(>= " "  ... and libc6 with a version"
expect_out "(^|, )adduser(,|$)" "  ... and adduser, which postinst uses"
if grep -qi "qt6\|libqt" <<<"$OUT"; then fail "the server package depends on Qt" "$OUT"; else
  pass "  ... and not Qt (the GUI is the package bootkeeper-admin)"; fi
OUT="$(field Recommends)"
expect_out "(^|, )tftp-hpa(,|$)" "Recommends: tftp-hpa"

# --- the scratch root --------------------------------------------------------------------------
R="$WORK/root"
mkdir -p "$R" "$WORK/usr-upper" "$WORK/usr-work"
mkdir -p "$R"/{usr,etc,proc,dev,run,tmp,root,var/lib/dpkg/info,var/lib/dpkg/updates,var/log,srv}
chmod 1777 "$R/tmp"
for l in bin lib lib64 sbin; do [ -L "/$l" ] && ln -s "usr/$l" "$R/$l"; done
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$WORK/usr-upper,workdir=$WORK/usr-work" "$R/usr"
mount -t proc proc "$R/proc"
on_exit "umount -l $R/proc"
on_exit "umount -l $R/usr"
for n in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
  IFS=: read -r name major minor <<<"$n"
  mknod -m 666 "$R/dev/$name" c "$major" "$minor"
done
for f in passwd group shadow gshadow adduser.conf login.defs nsswitch.conf ld.so.cache default/useradd; do
  [ -e "/etc/$f" ] && install -D -m "$(stat -c %a "/etc/$f")" "/etc/$f" "$R/etc/$f"
done
cp -a /etc/pam.d /etc/security "$R/etc/"  # adduser's chfn goes through PAM
cp /var/lib/dpkg/status "$R/var/lib/dpkg/status"
[ -e /var/lib/dpkg/arch ] && cp /var/lib/dpkg/arch "$R/var/lib/dpkg/arch"
cp /var/lib/dpkg/info/*.list "$R/var/lib/dpkg/info/"
echo "       scratch root ready at $(elapsed)"

# No --force-depends: the copied status says what this /usr holds, so Depends are checked.
if OUT="$(dpkg --root="$R" -i "$DEB" 2>&1)"; then
  pass "dpkg --root -i installs it, Depends satisfied, maintainer scripts run chrooted"
else
  fail "dpkg --root -i failed" "$OUT"; finish; exit 1
fi
DPKG_Q=(dpkg-query --admindir="$R/var/lib/dpkg")
OUT="$("${DPKG_Q[@]}" -W -f='${Status}\n' bootkeeper 2>&1)"
expect_out "^install ok installed$" "  ... and the package is 'install ok installed'"
OUT="$(find "$WORK/usr-upper" -mindepth 1 -not -type d -printf '/usr/%P\n' | sort)"
sed 's/^/       wrote /' <<<"$OUT"
if grep -qv '^/usr/\(sbin/bootkeeper\(d\|-relay\)\|lib/systemd/system/bootkeeper\(d\|-relay\)\.service\|share/doc/bootkeeper/.*\)$' <<<"$OUT"; then
  fail "the package wrote other files under /usr" "$OUT"
else
  pass "under /usr it wrote only its binaries, units and docs"
fi

# Where the units say.
for unit in bootkeeperd bootkeeper-relay; do
  file="$R/lib/systemd/system/$unit.service"
  exe="$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$file" 2>/dev/null)"
  if [ -n "$exe" ] && [ -x "$R$exe" ] && [ -f "$R$exe" ]; then pass "$unit.service: ExecStart $exe is an executable file"; else
    fail "$unit.service: ExecStart '$exe' is not installed (unit file: $file)"; fi
done
cfg="$(sed -n 's/^ExecStart=.*--config \([^ ]*\).*/\1/p' "$R/lib/systemd/system/bootkeeperd.service")"
if [ -n "$cfg" ] && [ -f "$R$cfg" ]; then pass "the unit's --config $cfg is installed"; else fail "the unit's --config '$cfg' is missing"; fi
OUT="$("${DPKG_Q[@]}" -W -f='${Conffiles}\n' bootkeeper 2>&1)"
expect_out "^ $cfg [0-9a-f]{32}$" "  ... and marked a conffile in the dpkg database"
expect_out "^ /etc/default/bootkeeper-relay [0-9a-f]{32}$" "/etc/default/bootkeeper-relay (the relay's options) is a conffile"
OUT="$(sed -n 's/^\(db\|images\) *= *"\(.*\)"/\1 \2/p' "$R$cfg")"
expect_out "^db /var/lib/bootkeeper/" "  ... whose db lies in the unit's StateDirectory"
expect_out "^images /srv/bootkeeper/images$" "  ... and whose image root is /srv/bootkeeper/images"

# The user and the folders.
OUT="$(grep '^bootkeeper:' "$R/etc/passwd")"
IFS=: read -r _ _ uid gid _ home shell <<<"$OUT"
if [ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ "$uid" -gt 0 ]; then pass "user bootkeeper exists, a system user (uid $uid)"; else
  fail "no system user bootkeeper in the scratch root's /etc/passwd" "$OUT"; fi
case "$shell" in */nologin | /bin/false) pass "  ... with the shell $shell and home $home" ;;
  *) fail "  ... with a login shell '$shell'" ;; esac
OUT="$(grep '^bootkeeper:' "$R/etc/group")"
IFS=: read -r _ _ ggid _ <<<"$OUT"
[ -n "$ggid" ] && [ "$ggid" = "$gid" ] && pass "  ... and its own group bootkeeper (gid $gid)" || fail "no group bootkeeper as its primary group" "$OUT"
# stat names owners by this machine's accounts: compare numbers.
OUT_N="$(stat -c '%u:%g %a' "$R/var/lib/bootkeeper" 2>&1)"
[ "$OUT_N" = "$uid:$gid 750" ] && pass "/var/lib/bootkeeper is bootkeeper:bootkeeper 0750" || fail "/var/lib/bootkeeper is $OUT_N (wanted $uid:$gid 750)"
OUT_N="$(stat -c '%u:%g %a' "$R/srv/bootkeeper/images" 2>&1)"
[ "$OUT_N" = "0:0 755" ] && pass "/srv/bootkeeper/images is root:root 0755" || fail "/srv/bootkeeper/images is $OUT_N (wanted 0:0 755)"
if [ "$(readlink "$R/etc/systemd/system/multi-user.target.wants/bootkeeperd.service")" = /lib/systemd/system/bootkeeperd.service ]; then
  pass "bootkeeperd.service is enabled (multi-user.target)"; else fail "bootkeeperd.service is not enabled"; fi
if [ -e "$R/etc/systemd/system/multi-user.target.wants/bootkeeper-relay.service" ]; then
  fail "bootkeeper-relay.service is enabled before it has options"; else pass "bootkeeper-relay.service is not enabled"; fi

# The units as systemd reads them, inside the scratch root.
for unit in bootkeeperd bootkeeper-relay; do
  if OUT="$(chroot "$R" systemd-analyze verify --man=no "/lib/systemd/system/$unit.service" 2>&1)" && [ -z "$OUT" ]; then
    pass "systemd-analyze verify $unit.service"
  else
    fail "systemd-analyze verify $unit.service" "$OUT"
  fi
  score="$(chroot "$R" systemd-analyze security --offline=true "/lib/systemd/system/$unit.service" 2>&1 |
    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')"
  if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    pass "systemd-analyze security: $unit.service exposure $score (at most 2.0)"
  else
    fail "systemd-analyze security: $unit.service exposure '$score' (wanted at most 2.0)"
  fi
done

# --- the installed daemon, started the way its unit does ---------------------------------------
OUT="$(chroot "$R" /usr/sbin/bootkeeperd --help 2>&1)"
expect_out "--config" "chroot: the installed bootkeeperd --help runs (its libraries are there)"
OUT="$(chroot "$R" /usr/sbin/bootkeeper-relay --help 2>&1)"
expect_out "--interface" "chroot: the installed bootkeeper-relay --help runs"

# User=, Group=, AmbientCapabilities=, CapabilityBoundingSet= and NoNewPrivileges= of the unit,
# read from the installed file so that a change there is what runs here.
unit="$R/lib/systemd/system/bootkeeperd.service"
caps="$(sed -n 's/^AmbientCapabilities=//p' "$unit" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd,)"
bound="$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd,)"
user="$(sed -n 's/^User=//p' "$unit")"
group="$(sed -n 's/^Group=//p' "$unit")"
exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
nnp=()
grep -qx 'NoNewPrivileges=yes' "$unit" && nnp=(--no-new-privs)
ns_add srv
ip -n "$(ns srv)" link add bk0 type veth peer name bk1
ip -n "$(ns srv)" addr add 198.18.0.1/24 dev bk0
ip -n "$(ns srv)" link set bk0 up
ip -n "$(ns srv)" link set bk1 up
# chroot first, so that setpriv finds the user in the scratch root's /etc/passwd.
# shellcheck disable=SC2086  # ExecStart is split into words as systemd does for this one
ip netns exec "$(ns srv)" chroot "$R" setpriv --reuid="$user" --regid="$group" --init-groups "${nnp[@]}" \
  --bounding-set=-all,"$bound" --inh-caps=-all,"$caps" --ambient-caps=-all,"$caps" \
  $exec_start >"$WORK/server.log" 2>&1 &
SERVER=$!
on_exit "kill $SERVER"
if wait_ready "$WORK/server.log" "$SERVER"; then
  pass "bootkeeperd ($exec_start) says ready as $user, with $caps, at $(elapsed)"
else
  fail "bootkeeperd did not get ready" "$(tail -5 "$WORK/server.log")"
fi
OUT="$(grep -E '^(Uid|Gid|CapEff|CapBnd|CapAmb|NoNewPrivs)' "/proc/$SERVER/status" 2>&1)"
expect_out "^Uid:[[:space:]]+${uid}[[:space:]]+${uid}[[:space:]]+${uid}[[:space:]]+${uid}$" "  ... its uid is bootkeeper's ($uid)"
expect_out "^CapEff:[[:space:]]+0000000000001400$" "  ... it holds CAP_NET_BIND_SERVICE and CAP_NET_ADMIN only"
expect_out "^CapBnd:[[:space:]]+0000000000001400$" "  ... and can never gain another (bounding set)"
expect_out "^NoNewPrivs:[[:space:]]+1$" "  ... NoNewPrivileges"
OUT="$(in_ns srv curl -s -m 5 http://127.0.0.1:8067/healthz 2>&1)"
if [ -n "$OUT" ] && ! grep -qi "error\|refused" <<<"$OUT"; then pass "GET /healthz on loopback answers: $OUT"; else
  fail "GET /healthz: no answer" "$OUT"; fi
OUT="$(in_ns srv ss -Hlun 2>&1)"
expect_out "0\.0\.0\.0:67 " "  ... and it listens on port 67 (BOOTP)"
expect_out "0\.0\.0\.0:69 " "  ... and on port 69 (TFTP)"
if chroot "$R" setpriv --reuid="$user" --regid="$group" --init-groups touch /srv/bootkeeper/images/written 2>/dev/null; then
  fail "the image root is writable by $user"; else pass "the image root is read-only to $user"; fi
kill "$SERVER"
wait "$SERVER"
rc=$?
[ "$rc" -eq 0 ] && pass "bootkeeperd stopped cleanly on SIGTERM" || fail "bootkeeperd exit status $rc on SIGTERM" "$(tail -5 "$WORK/server.log")"
db="$R/var/lib/bootkeeper/bootkeeper.db"
OUT_N="$(stat -c '%u:%g' "$db" 2>&1)"
[ "$OUT_N" = "$uid:$gid" ] && pass "the inventory $db is bootkeeper's" || fail "the inventory is $OUT_N (wanted $uid:$gid)"

# --- remove and purge --------------------------------------------------------------------------
if OUT="$(dpkg --root="$R" -r bootkeeper 2>&1)"; then pass "dpkg --root -r bootkeeper"; else fail "dpkg --root -r failed" "$OUT"; fi
gone=1
for f in /usr/sbin/bootkeeperd /usr/sbin/bootkeeper-relay /lib/systemd/system/bootkeeperd.service; do
  [ -e "$R$f" ] && { gone=0; fail "  ... left $f"; }
done
[ "$gone" = 1 ] && pass "  ... removes the binaries and units"
[ -f "$R/etc/bootkeeper/bootkeeper.toml" ] && pass "  ... keeps the conffile /etc/bootkeeper/bootkeeper.toml" || fail "  ... removed the conffile"
[ -f "$db" ] && pass "  ... keeps the inventory" || fail "  ... removed the inventory"
OUT="$("${DPKG_Q[@]}" -W -f='${Status}\n' bootkeeper 2>&1)"
expect_out "^deinstall ok config-files$" "  ... and leaves it 'config-files'"
if OUT="$(dpkg --root="$R" -P bootkeeper 2>&1)"; then pass "dpkg --root -P bootkeeper"; else fail "dpkg --root -P failed" "$OUT"; fi
[ -e "$R/etc/bootkeeper/bootkeeper.toml" ] && fail "  ... left the conffile" || pass "  ... removes the conffile"
[ -e "$R/etc/default/bootkeeper-relay" ] && fail "  ... left /etc/default/bootkeeper-relay" || pass "  ... and /etc/default/bootkeeper-relay"
OUT="$(find "$R/etc/systemd" "$R/var/lib/systemd" -name '*bootkeeper*' 2>/dev/null)"
[ -z "$OUT" ] && pass "  ... and every trace of enablement or masks" || fail "  ... left systemd links" "$OUT"
[ -f "$db" ] && pass "  ... keeps the inventory (the site's data) and" || fail "  ... removed the inventory"
grep -q '^bootkeeper:' "$R/etc/passwd" && pass "  ... the user that owns it" || fail "  ... removed the user that owns the inventory"
OUT="$("${DPKG_Q[@]}" -W -f='${Status}\n' bootkeeper 2>&1)"
if [ -z "$OUT" ] || grep -q "not-installed\|no packages found" <<<"$OUT"; then pass "  ... and dpkg forgets the package"; else
  fail "  ... dpkg still lists it" "$OUT"; fi

[ "$(host_sums)" = "$HOST_BEFORE" ] && pass "this machine's accounts and dpkg database are untouched" ||
  fail "this machine's /etc/passwd, group, shadow or dpkg status changed"
echo "       run time $(elapsed)"
finish
