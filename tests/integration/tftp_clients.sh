#!/usr/bin/env bash
# The TFTP server against real clients in network namespaces (198.18.0.0/15 only):
#   srv 198.18.0.1 (s0) <-> cli 198.18.0.2 (c0), clients tftp-hpa, atftp, curl, busybox tftp.
# BK_TFTP_SERVER picks the server: bootkeeperd (default, its own TFTP server), bootkeeperd-tftp-hpa
# (bootkeeperd --tftp-backend tftp-hpa: it runs in.tftpd and writes the generated files), or, to
# check this test itself, tftp-hpa's in.tftpd alone:
#   BK_TFTP_SERVER=in.tftpd BK_BOOTKEEPERD=... bash tests/integration/tftp_clients.sh
# 1. every client fetches a small, a 5 MB, a block-boundary, an empty and a nested file;
# 2. 100 MB in 512-byte blocks (the block number wraps past 65535), another client served
#    meanwhile; 3. 10 % loss each way (5 MB; 32 KiB with in.tftpd); 4. the errors a user
#    sees, and nothing outside the root is ever served; 5. (bootkeeperd) the files generated from
#    the inventory, and how fast they follow it; 6. the server still serves afterwards.
# Every download is compared byte for byte with the file in the root.
here="$(cd "$(dirname "$0")" && pwd)"
BACKEND="${BK_TFTP_SERVER:-bootkeeperd}"
# lib.sh wants the daemon's path; an in.tftpd run never starts it.
[ "$BACKEND" = in.tftpd ] && : "${BK_BOOTKEEPERD:=/bin/false}"
source "$here/lib.sh"
source "$here/netns.sh"
require_root
case "$BACKEND" in
  bootkeeperd | bootkeeperd-tftp-hpa | in.tftpd) ;;
  *) fail "BK_TFTP_SERVER=$BACKEND: wanted bootkeeperd, bootkeeperd-tftp-hpa or in.tftpd"; finish; exit 1 ;;
esac
tools=(tftp atftp curl busybox nft ss cmp)
[ "$BACKEND" != bootkeeperd ] && tools+=(in.tftpd)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed (deploy/setup installs it)"; finish; exit 1; }
done
SRV=198.18.0.1
STARTED=$SECONDS

# The image root; a secret next to it, and a way out of the root (a symlink) that must not work.
ROOT="$WORK/images"
OUTD="$WORK/out"
mkdir -p "$ROOT/sub/dir" "$ROOT/etc" "$OUTD"
printf 'hello from the image root\n' >"$ROOT/hello.txt"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$ROOT/5m.bin"
head -c $((512 * 2048)) /dev/urandom >"$ROOT/blocks512.bin"  # ends on a block: a last, empty DATA
: >"$ROOT/empty.bin"
printf 'nested file\n' >"$ROOT/sub/dir/nested.txt"
mkdir -p "$ROOT/lab"  # the inventory's image (bootkeeperd runs): loader, kernel, initrd
head -c 42000 /dev/urandom >"$ROOT/lab/pxelinux.0"
head -c 300000 /dev/urandom >"$ROOT/lab/vmlinuz"
head -c 100000 /dev/urandom >"$ROOT/lab/initrd.gz"
head -c $((100 * 1024 * 1024)) /dev/urandom >"$ROOT/100m.bin"
# The loss run's file (see 3.): the 5 MB asked of bootkeeperd would take in.tftpd half an hour.
LOSS_KIB=5120
[ "$BACKEND" != bootkeeperd ] && LOSS_KIB=32  # in.tftpd serves: it retransmits after 1 s
LOSS_KIB="${BK_TFTP_LOSS_KIB:-$LOSS_KIB}"
head -c $((LOSS_KIB * 1024 + 100)) /dev/urandom >"$ROOT/loss.bin"
printf 'root:x:0:0:the image root copy:/:/bin/false\n' >"$ROOT/etc/passwd"
SECRET="SECRET-$$-outside-the-root"
echo "$SECRET" >"$WORK/secret"
ln -s "$WORK/secret" "$ROOT/escape-link"
chmod -R a+rX "$ROOT"
cp "$ROOT/hello.txt" "$WORK/hello.orig"

ns_add srv; ns_add cli
link srv s0 cli c0
in_ns srv ip addr add "$SRV/24" dev s0
in_ns cli ip addr add 198.18.0.2/24 dev c0

# The inventory: one machine whose image boots a kernel; $1 is the image's command line.
lab_json() {
  cat <<JSON
{"subnets": [{"name": "lab", "network": "198.18.0.0/24", "gateway": "198.18.0.1", "next_server": "198.18.0.1"}],
 "images": [{"name": "lab-bios", "kind": "pxelinux", "boot_file": "lab/pxelinux.0", "kernel": "lab/vmlinuz",
             "initrd": "lab/initrd.gz", "cmdline": "$1"}],
 "machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01", "ip": "198.18.0.50", "image": "lab-bios"}]}
JSON
}

start_server() {
  # Not through in_ns: $! must be the server itself (ip netns exec execs it).
  if [ "$BACKEND" = in.tftpd ]; then
    # -L foreground, -s chroot into the root; no --create, so it writes nothing.
    ip netns exec "$(ns srv)" in.tftpd -L -s -a "$SRV:69" "$ROOT" >>"$WORK/server.log" 2>&1 &
  else
    lab_json "console=ttyS0" >"$WORK/lab.json"
    "$BK" --db "$WORK/bk.db" inventory import "$WORK/lab.json" >/dev/null || { fail "inventory import"; finish; exit 1; }
    local backend=()
    [ "$BACKEND" = bootkeeperd-tftp-hpa ] && backend=(--tftp-backend tftp-hpa)
    ip netns exec "$(ns srv)" "$BK" --db "$WORK/bk.db" --images "$ROOT" --no-bootp --no-api "${backend[@]}" \
      --tftp-listen "$SRV:69" --log-level info >>"$WORK/server.log" 2>&1 &
  fi
  SERVER=$!
  on_exit "kill $SERVER"
  for _ in $(seq 50); do
    in_ns srv ss -Hlun "src $SRV:69" | grep -q . && break
    sleep 0.1
  done
  if kill -0 "$SERVER" 2>/dev/null && in_ns srv ss -Hlun "src $SRV:69" | grep -q . \
    && ! grep -q "TFTP.*not in this version" "$WORK/server.log"; then
    pass "$BACKEND listens on $SRV:69"
  else
    fail "$BACKEND does not serve TFTP on $SRV:69" "$(cat "$WORK/server.log")"
    finish
    exit 1
  fi
}

# fetch NAME FILE OUT -- CMD...: runs CMD in the client's namespace (LIMIT s, default 60) and
# passes when it exits 0, reports no error (tftp-hpa exits 0 even then) and wrote OUT
# byte-identical to the root's FILE.
fetch() {
  local name="$1" file="$2" out="$3"
  shift 4
  rm -f "$out"
  OUT="$(in_ns cli timeout "${LIMIT:-60}" "$@" 2>&1)"
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "$name (exit $rc)" "$OUT"
  elif grep -Eqi "error|timed out|fail|abort" <<<"$OUT"; then
    fail "$name (the client reported an error)" "$OUT"
  elif [ ! -f "$out" ]; then
    fail "$name (no file written)" "$OUT"
  elif ! cmp -s "$ROOT/$file" "$out"; then
    fail "$name (got $(stat -c %s "$out") bytes, wanted $(stat -c %s "$ROOT/$file"))" \
      "$OUT$(printf '\n')$(cmp "$ROOT/$file" "$out" 2>&1)"
  else
    pass "$name"
  fi
}
# refused NAME OUT -- CMD...: CMD must show the user an error and must not have written the
# secret to OUT.
refused() {
  local name="$1" out="$2"
  shift 3
  OUT="$(in_ns cli timeout 20 "$@" 2>&1)"
  local rc=$?
  if grep -qs -- "$SECRET" "$out"; then
    fail "$name (the secret outside the root was served)" "$OUT"
  elif [ "$rc" -eq 0 ] && ! grep -Eqi "error" <<<"$OUT"; then
    fail "$name (no error shown, exit 0)" "$OUT"
  else
    pass "$name"
  fi
}

start_server

# 1. Every client, every kind of file.
for f in hello.txt 5m.bin blocks512.bin empty.bin sub/dir/nested.txt; do
  o="$OUTD/${f//\//_}"
  fetch "tftp-hpa: $f" "$f" "$o" -- tftp -m binary "$SRV" -c get "$f" "$o"
  fetch "tftp-hpa -v: $f" "$f" "$o" -- tftp -v -m binary "$SRV" -c get "$f" "$o"
  # tftp-hpa prints no "Received" line for 0 bytes.
  [ -s "$ROOT/$f" ] && expect_out "Received $(stat -c %s "$ROOT/$f") bytes" "  ... and reports the size"
  fetch "atftp: $f" "$f" "$o" -- atftp --get -r "$f" -l "$o" "$SRV"
  fetch "atftp blksize 1468 windowsize 16: $f" "$f" "$o" -- \
    atftp --option "blksize 1468" --option "windowsize 16" --get -r "$f" -l "$o" "$SRV"
  if [ -s "$ROOT/$f" ]; then
    fetch "curl blksize 1468: $f" "$f" "$o" -- curl -sS --tftp-blksize 1468 "tftp://$SRV/$f" -o "$o"
  else
    # curl 7.88 refuses "tsize 0" in an OACK ("invalid tsize -:0:- value"): no options for it.
    fetch "curl --tftp-no-options: $f" "$f" "$o" -- curl -sS --tftp-no-options "tftp://$SRV/$f" -o "$o"
  fi
  fetch "busybox tftp: $f" "$f" "$o" -- busybox tftp -g -r "$f" -l "$o" "$SRV"
  fetch "busybox tftp -b 1468: $f" "$f" "$o" -- busybox tftp -b 1468 -g -r "$f" -l "$o" "$SRV"
done
echo "# 1. took $((SECONDS - STARTED)) s"

# 2. 100 MB in 512-byte blocks: 204,800 blocks, so the block number wraps past 65535 three times.
t=$SECONDS
LIMIT=90 fetch "tftp-hpa: 100 MB in 512-byte blocks (block number rollover)" 100m.bin "$OUTD/100m-hpa" -- \
  tftp -m binary "$SRV" -c get 100m.bin "$OUTD/100m-hpa"
rm -f "$OUTD/100m-hpa"
# curl asks for blksize 512 (an OACK) and, while it runs, a second client must be served.
in_ns cli timeout 90 curl -sS --tftp-blksize 512 "tftp://$SRV/100m.bin" -o "$OUTD/100m-curl" >"$WORK/curl100.log" 2>&1 &
BIG=$!
on_exit "kill $BIG"
sleep 1
t2=$SECONDS
fetch "a second client is served during the 100 MB transfer" 5m.bin "$OUTD/during" -- \
  tftp -m binary "$SRV" -c get 5m.bin "$OUTD/during"
if kill -0 "$BIG" 2>/dev/null && [ $((SECONDS - t2)) -le 10 ]; then
  pass "  ... at once, while the 100 MB transfer still ran"
else
  fail "  ... but not alongside it (took $((SECONDS - t2)) s; the 100 MB transfer had ended)"
fi
wait "$BIG"
rc=$?
OUT="$(cat "$WORK/curl100.log")"
if [ "$rc" -eq 0 ] && cmp -s "$ROOT/100m.bin" "$OUTD/100m-curl"; then
  pass "curl blksize 512: 100 MB (block number rollover)"
else
  fail "curl blksize 512: 100 MB (exit $rc)" "$OUT$(printf '\n')$(cmp "$ROOT/100m.bin" "$OUTD/100m-curl" 2>&1)"
fi
rm -f "$OUTD/100m-curl"
echo "# 2. took $((SECONDS - t)) s"

# 3. 10 % loss each way, on the client's wire (netdev ingress and egress of c0, so that the
# client's own sends are lost silently, as on a cable; an output-hook drop would fail sendto()
# with EPERM). About one exchange in five loses a packet and lock-step TFTP waits out the
# server's retransmission timeout each time: bootkeeperd adapts it to the round trip, so 5 MB
# takes about a minute per client; in.tftpd waits 1 s (and 5 s with curl unless asked for
# less), which for 5 MB would be half an hour, so it gets 32 KiB + 100 bytes (65 blocks for
# tftp-hpa, 23 for curl; BK_TFTP_LOSS_KIB sets the size). curl asks for a 1 s timeout
# (RFC 2349) when its connect timeout is 5 s; tftp-hpa sends no options.
t=$SECONDS
in_ns cli nft -f - <<'NFT'
table netdev bkloss {
  chain in  { type filter hook ingress device "c0" priority 0; meta l4proto udp numgen random mod 10 0 counter drop; }
  chain out { type filter hook egress device "c0" priority 0; meta l4proto udp numgen random mod 10 0 counter drop; }
}
NFT
on_exit "ip netns exec $(ns cli) nft delete table netdev bkloss"
LOSS_LIMIT="${BK_TFTP_LOSS_LIMIT:-150}"  # seconds per client
t2=$SECONDS
LIMIT=$LOSS_LIMIT fetch "10 % loss: tftp-hpa, $LOSS_KIB KiB" loss.bin "$OUTD/loss-hpa" -- \
  tftp -m binary "$SRV" -c get loss.bin "$OUTD/loss-hpa"
echo "# tftp-hpa took $((SECONDS - t2)) s"
t2=$SECONDS
LIMIT=$LOSS_LIMIT fetch "10 % loss: curl blksize 1468, $LOSS_KIB KiB" loss.bin "$OUTD/loss-curl" -- \
  curl -sS --connect-timeout 5 -m $((LOSS_LIMIT - 5)) --tftp-blksize 1468 "tftp://$SRV/loss.bin" -o "$OUTD/loss-curl"
echo "# curl took $((SECONDS - t2)) s"
OUT="$(in_ns cli nft list table netdev bkloss)"
if [ "$(grep -Ec 'counter packets [1-9][0-9]* ' <<<"$OUT")" -eq 2 ]; then
  pass "  ... and packets were lost both ways"
else
  fail "  ... but the loss rules dropped nothing one way" "$OUT"
fi
in_ns cli nft delete table netdev bkloss
echo "# 3. took $((SECONDS - t)) s; dropped $(grep -Eo 'packets [0-9]+' <<<"$OUT" | tr '\n' ' ')(in, out)"

# 4. What a user sees when something is wrong.
OUT="$(in_ns cli timeout 20 tftp -m binary "$SRV" -c get no-such-file "$OUTD/x" 2>&1)"
expect_out "^Error code 1: " "tftp-hpa: a missing file is 'Error code 1' (File not found)"
expect_exit 68 "curl: a missing file is exit 68 (TFTP file not found)" -- \
  in_ns cli curl -sS "tftp://$SRV/no-such-file" -o "$OUTD/x"
echo "a new image" >"$WORK/upload"
OUT="$(in_ns cli timeout 20 tftp -m binary "$SRV" -c put "$WORK/upload" uploaded.bin 2>&1)"
expect_out "Error code [0-9]+" "tftp-hpa: a write (put) is refused with an error"
if [ -e "$ROOT/uploaded.bin" ]; then fail "  ... but uploaded.bin was created in the root"; else pass "  ... and creates nothing"; fi
OUT="$(in_ns cli timeout 20 tftp -m binary "$SRV" -c put "$WORK/upload" hello.txt 2>&1)"
expect_out "Error code [0-9]+" "tftp-hpa: a write over an existing image is refused"
if cmp -s "$WORK/hello.orig" "$ROOT/hello.txt"; then pass "  ... and leaves it as it was"; else fail "  ... but the image changed"; fi
refused "tftp-hpa: ../secret is refused" "$OUTD/s1" -- tftp -m binary "$SRV" -c get ../secret "$OUTD/s1"
refused "tftp-hpa: sub/../../secret is refused" "$OUTD/s2" -- tftp -m binary "$SRV" -c get sub/../../secret "$OUTD/s2"
refused "tftp-hpa: /../secret is refused" "$OUTD/s3" -- tftp -m binary "$SRV" -c get /../secret "$OUTD/s3"
refused "atftp: ../secret is refused" "$OUTD/s4" -- atftp --get -r ../secret -l "$OUTD/s4" "$SRV"
refused "busybox tftp: ../secret is refused" "$OUTD/s5" -- busybox tftp -g -r ../secret -l "$OUTD/s5" "$SRV"
refused "curl --path-as-is: ../secret is refused" "$OUTD/s6" -- curl -sS --path-as-is "tftp://$SRV/../secret" -o "$OUTD/s6"
refused "tftp-hpa: a symlink out of the root is not followed" "$OUTD/s7" -- tftp -m binary "$SRV" -c get escape-link "$OUTD/s7"
fetch "tftp-hpa: /etc/passwd is the root's etc/passwd" etc/passwd "$OUTD/passwd1" -- tftp -m binary "$SRV" -c get /etc/passwd "$OUTD/passwd1"
fetch "atftp: /etc/passwd is the root's etc/passwd" etc/passwd "$OUTD/passwd2" -- atftp --get -r /etc/passwd -l "$OUTD/passwd2" "$SRV"
fetch "curl: //etc/passwd is the root's etc/passwd" etc/passwd "$OUTD/passwd3" -- curl -sS "tftp://$SRV//etc/passwd" -o "$OUTD/passwd3"
if grep -rqs -- "$SECRET" "$OUTD"; then fail "the secret is among the downloads"; else pass "the secret is never among the downloads"; fi

# 5. Files generated from the inventory (bootkeeperd only).
if [ "$BACKEND" != in.tftpd ]; then
  CFG=lab/pxelinux.cfg/01-52-54-00-12-34-56
  OUT="$(in_ns cli timeout 20 tftp -m binary "$SRV" -c get "$CFG" "$OUTD/cfg" 2>&1; cat "$OUTD/cfg" 2>/dev/null)"
  expect_out "KERNEL ::/lab/vmlinuz" "generated $CFG names the image's kernel"
  expect_out "APPEND console=ttyS0$" "  ... and its command line"
  OUT="$(in_ns cli timeout 20 curl -sS "tftp://$SRV/lab/pxelinux.cfg/C6120032" 2>&1)"
  expect_out "KERNEL ::/lab/vmlinuz" "curl: the hex-address name C6120032 is generated too"
  OUT="$(in_ns cli timeout 20 busybox tftp -g -r 52-54-00-12-34-56.ipxe -l /dev/stdout "$SRV" 2>&1)"
  expect_out "^kernel /lab/vmlinuz initrd=initrd.gz console=ttyS0$" "busybox: the iPXE script 52-54-00-12-34-56.ipxe"
  # An edit of the inventory by another process: served on the next request (the built-in
  # server reads the Snapshot), or within a second or two (the watcher rewrites the files).
  lab_json "console=ttyS0 quiet" >"$WORK/lab2.json"
  "$BK" --db "$WORK/bk.db" inventory import "$WORK/lab2.json" >/dev/null
  t=$SECONDS
  for _ in $(seq 50); do
    OUT="$(in_ns cli timeout 20 curl -sS "tftp://$SRV/$CFG" 2>&1)"
    grep -q "APPEND console=ttyS0 quiet" <<<"$OUT" && break
    sleep 0.1
  done
  expect_out "APPEND console=ttyS0 quiet" "an inventory edit changes $CFG (within $((SECONDS - t)) s)"

  # "Would this machine boot?", asked from the client's side of the wire.
  expect_exit 0 "check boot: every file of ws01's boot sequence is fetched" -- \
    in_ns cli "$BK" --db "$WORK/bk.db" check boot --mac 52-54-00-12-34-56 --server "$SRV"
  expect_out "would boot: all 4 files fetched from $SRV:69" "  ... all four, and says so"
  expect_out "^ok +kernel +lab/vmlinuz +300000 bytes +sha256 $(sha256sum "$ROOT/lab/vmlinuz" | cut -c1-64)$" \
    "  ... with each file's size and sha256"
  mv "$ROOT/lab/initrd.gz" "$WORK/initrd.away"
  expect_exit 1 "check boot: a missing initrd means it would not boot" -- \
    in_ns cli "$BK" --db "$WORK/bk.db" check boot --mac 525400123456 --server "$SRV"
  expect_out "^FAIL initrd +lab/initrd.gz +Error code 1" "  ... naming the file and the server's error"
  mv "$WORK/initrd.away" "$ROOT/lab/initrd.gz"
  expect_exit 1 "check boot --arch efi-x64: a BIOS-only image would not boot an EFI machine" -- \
    in_ns cli "$BK" --db "$WORK/bk.db" check boot --mac 525400123456 --server "$SRV" --arch efi-x64
  expect_out "^would NOT boot: image lab-bios has no boot file for EFI x64 \(add one to its boot_files\)$" \
    "  ... saying what to add"
  expect_exit 2 "check boot --arch with an unknown name" -- \
    in_ns cli "$BK" --db "$WORK/bk.db" check boot --mac 525400123456 --arch x86
  expect_out "use bios, efi-ia32, efi-x64, efi-arm64 or http-x64" "  ... listing the names"
fi
if [ "$BACKEND" = bootkeeperd-tftp-hpa ]; then
  if [ -f "$ROOT/.bootkeeper-generated" ] && grep -qx "$CFG" "$ROOT/.bootkeeper-generated"; then
    pass "bootkeeperd wrote $CFG beneath the root and listed it"
  else
    fail "no $CFG in $ROOT/.bootkeeper-generated" "$(cat "$ROOT/.bootkeeper-generated" 2>&1)"
  fi
  child="$(pgrep -P "$SERVER" -x in.tftpd | head -1)"
  if [ -n "$child" ]; then
    kill -9 "$child"
    for _ in $(seq 50); do
      new="$(pgrep -P "$SERVER" -x in.tftpd | head -1)"
      [ -n "$new" ] && [ "$new" != "$child" ] && in_ns srv ss -Hlun "src $SRV:69" | grep -q . && break
      sleep 0.1
    done
    fetch "in.tftpd killed: bootkeeperd starts it again, and it serves" hello.txt "$OUTD/again" -- \
      tftp -m binary "$SRV" -c get hello.txt "$OUTD/again"
  else
    fail "bootkeeperd runs no in.tftpd" "$(tail -20 "$WORK/server.log")"
  fi
fi

# 6. Still alive and serving.
if kill -0 "$SERVER" 2>/dev/null; then pass "$BACKEND is still running"; else fail "$BACKEND has died" "$(tail -20 "$WORK/server.log")"; fi
fetch "tftp-hpa: the server still serves afterwards" 5m.bin "$OUTD/last" -- tftp -m binary "$SRV" -c get 5m.bin "$OUTD/last"
if [ "$BACKEND" != in.tftpd ]; then
  kill "$SERVER"
  wait "$SERVER"
  rc=$?
  if [ "$rc" -eq 0 ]; then pass "bootkeeperd stopped cleanly"; else fail "bootkeeperd exit status $rc on SIGTERM" "$(tail -20 "$WORK/server.log")"; fi
  if [ "$BACKEND" = bootkeeperd-tftp-hpa ]; then
    sleep 0.2
    if in_ns srv ss -Hlun "src $SRV:69" | grep -q .; then fail "in.tftpd still listens after bootkeeperd stopped"; else pass "  ... and in.tftpd stopped with it"; fi
  fi
fi
echo "# all took $((SECONDS - STARTED)) s"
finish
