#!/usr/bin/env bash
# End-to-end boots: a QEMU virtual machine (TCG, no KVM) boots from bootkeeperd in a lab network
# namespace (198.18.0.0/24, server 198.18.0.1), with real firmware, and its test initramfs
# reports what it was given (tests/e2e/initramfs.sh).
#   usage: boot.sh SCENARIO
#   bios          SeaBIOS + iPXE ROM: DHCP -> pxelinux.0 -> pxelinux.cfg/01-<mac> -> kernel + initrd
#   kernel        QEMU loads kernel and initrd itself; the initramfs asks by BOOTP (ipconfig)
#   ipxe          SeaBIOS + iPXE ROM, image of kind ipxe: DHCP -> <mac>.ipxe -> kernel + initrd
#   unregistered  a MAC that is not in the inventory, on a subnet without a pool: no answer,
#                 and the MAC is listed as discovered
#   uefi          OVMF + iPXE EFI driver (client architecture 7), image of kind ipxe with a boot
#                 file for efi-x64: DHCP -> <mac>.ipxe -> EFI kernel + initrd
# In every boot that gets an address the VM must report the machine's address, host name and
# root path from the inventory, and the sha256 of a file it fetched over TFTP.
# Environment: BK_BOOTKEEPERD (the daemon, required), BK_E2E_VM_TIMEOUT (seconds before a VM
# that never powers off is stopped, default 150), BK_E2E_KEEP=DIR (keep the console, logs and
# database there), BK_E2E_CACHE (where the initramfs is cached, default /var/tmp/bootkeeper-e2e).
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
require_root

SCENARIO="${1:-}"
case "$SCENARIO" in
  bios | ipxe) FIRMWARE=bios ;;
  uefi) FIRMWARE=uefi ;;
  kernel | unregistered) FIRMWARE=kernel ;;
  *)
    fail "usage: boot.sh bios|kernel|ipxe|unregistered|uefi (got '$SCENARIO')"
    finish
    exit 1
    ;;
esac
VM_LIMIT="${BK_E2E_VM_TIMEOUT:-150}"
# Registered first, so it runs last: after the VM and the server have stopped.
[ -n "${BK_E2E_KEEP:-}" ] && on_exit "mkdir -p '$BK_E2E_KEEP' && cp -a '$WORK/.' '$BK_E2E_KEEP/' && rm -rf '$BK_E2E_KEEP/images'"

missing="$(e2e_missing "$FIRMWARE")"
if [ -n "$missing" ]; then
  fail "missing for the $SCENARIO boot (deploy/setup installs them):" "$missing"
  finish
  exit 1
fi
if ! INITRD="$(e2e_initramfs 2>"$WORK/initramfs.err")"; then
  fail "cannot build the test initramfs" "$(cat "$WORK/initramfs.err")"
  finish
  exit 1
fi

# The image root: the BIOS loader and its module, the cloud kernel, the test initramfs and a
# random file whose checksum the VM must report.
IMAGES="$WORK/images"
mkdir -p "$IMAGES/lab"
cp "$PXELINUX" "$LDLINUX" "$IMAGES/lab/"
cp "$(e2e_kernel)" "$IMAGES/lab/vmlinuz"
cp "$INITRD" "$IMAGES/lab/initrd.gz"
head -c 300000 /dev/urandom >"$IMAGES/lab/test.bin"
chmod -R a+rX "$IMAGES"
WANT_SHA="$(sha256sum "$IMAGES/lab/test.bin" | cut -d' ' -f1)"

SERVER_IP=198.18.0.1
CMDLINE="console=ttyS0 panic=-1 bk.file=lab/test.bin"
MAC=52:54:00:e2:e0:01
IP=198.18.0.50
HOST="ws-$SCENARIO"
ROOT_PATH=/srv/root
MORE=""  # more fields of the machine
# image NAME KIND BOOT-FILE [MORE-FIELDS]: the image's JSON; kernel, initrd and command line
# are the same for all.
image() {
  IMAGE_NAME="$1"
  IMAGE="{\"name\": \"$1\", \"kind\": \"$2\", \"boot_file\": \"$3\", ${4:+$4, }\"kernel\": \"lab/vmlinuz\",
          \"initrd\": \"lab/initrd.gz\", \"cmdline\": \"$CMDLINE\", \"root_path\": \"/srv/root\"}"
  BOOT_FILE="$3"
}
case "$SCENARIO" in
  bios | kernel | unregistered)
    image lab-bios pxelinux lab/pxelinux.0
    ;;
  ipxe)
    # undionly.kpxe need not exist: the card's iPXE says it is iPXE and is sent the script.
    image lab-ipxe ipxe lab/undionly.kpxe
    IP=198.18.0.51
    # The machine's own root path beats the image's.
    MORE=', "options": {"root-path": "/srv/nfs/ws-ipxe"}'
    ROOT_PATH=/srv/nfs/ws-ipxe
    ;;
  uefi)
    # ipxe.efi need not exist either: iPXE in the EFI firmware asks as iPXE.
    image lab-uefi ipxe lab/undionly.kpxe '"boot_files": {"efi-x64": "lab/ipxe.efi"}'
    IP=198.18.0.52
    ;;
esac
# The subnet has no pool: a stranger gets no address.
cat >"$WORK/lab.json" <<JSON
{"subnets": [{"name": "lab", "network": "198.18.0.0/24", "gateway": "$SERVER_IP", "next_server": "$SERVER_IP",
              "domain": "lab.test"}],
 "images": [$IMAGE],
 "machines": [{"mac": "$MAC", "hostname": "$HOST", "ip": "$IP", "image": "$IMAGE_NAME"$MORE}]}
JSON
# The stranger's MAC: the registered one with its last byte changed.
[ "$SCENARIO" = unregistered ] && MAC=52:54:00:e2:e0:99

DB="$WORK/bk.db"
if OUT="$("$BK" --db "$DB" inventory import "$WORK/lab.json" 2>&1)"; then
  pass "$SCENARIO: inventory imported"
else
  fail "$SCENARIO: inventory import refused" "$OUT"
  finish
  exit 1
fi

lab_network "$SERVER_IP/24"
LOG="$WORK/server.log"
if ! lab_server "$DB" "$IMAGES" "$SERVER_IP" "$LOG"; then
  fail "bootkeeperd did not start" "$(cat "$LOG")"
  finish
  exit 1
fi

# Boot, with the serial console in a file, until the VM powers itself off.
CONSOLE="$WORK/console.log"
VM_SERIAL="file:$CONSOLE"
case "$FIRMWARE" in
  kernel) lab_vm_command kernel "$MAC" "$IMAGES/lab/vmlinuz" "$IMAGES/lab/initrd.gz" "$CMDLINE bk.wait=10" ;;
  *) lab_vm_command "$FIRMWARE" "$MAC" ;;
esac
STARTED=$SECONDS
ip netns exec "$(ns lab)" timeout "$VM_LIMIT" "${VM_CMD[@]}" </dev/null >"$WORK/qemu.log" 2>&1 &
VM=$!
on_exit "kill $VM"
# A boot that has had a TFTP request refused and then shows no progress (no console output, no
# new event) for 30 s is stuck, e.g. pxelinux at its prompt after a missing kernel: stopped
# then rather than after $VM_LIMIT s.
STUCK=0 last="" changed=$SECONDS
while kill -0 "$VM" 2>/dev/null; do
  sleep 2
  now="$(stat -c %s "$CONSOLE" 2>/dev/null):$(sqlite3 "$DB" "select count(*) from events" 2>/dev/null)"
  [ "$now" != "$last" ] && last="$now" changed=$SECONDS
  if [ $((SECONDS - changed)) -ge 30 ] &&
    [ -n "$(sqlite3 "$DB" "select 1 from events where kind = 'tftp.error' limit 1" 2>/dev/null)" ]; then
    STUCK=1
    kill "$VM"
    break
  fi
done
wait "$VM"
VM_RC=$?
ELAPSED=$((SECONDS - STARTED))
echo "# $SCENARIO: the VM ran for $ELAPSED s (exit status $VM_RC)"

check() {  # check NAME GOT WANT
  if [ "$2" = "$3" ]; then pass "$1: $3"; else fail "$1: got '$2', wanted '$3'"; fi
}

if [ "$STUCK" = 1 ]; then
  fail "$SCENARIO: the boot was stuck after a refused TFTP request: stopped after $ELAPSED s"
elif [ "$VM_RC" -eq 0 ]; then
  pass "$SCENARIO: the VM powered itself off ($ELAPSED s)"
else
  fail "$SCENARIO: the VM did not power off by itself (exit status $VM_RC; 124 = stopped after $VM_LIMIT s)"
fi
if grep -q "^BK-E2E-DONE" "$CONSOLE" 2>/dev/null; then
  pass "$SCENARIO: the test initramfs ran to its end"
else
  fail "$SCENARIO: the test initramfs never reported (no BK-E2E-DONE on the console)"
fi

if [ "$SCENARIO" = unregistered ]; then
  if grep -q "^BK-E2E-NOADDR" "$CONSOLE" && [ -z "$(console_value "$CONSOLE" IPV4ADDR)" ]; then
    pass "unregistered: no address for a MAC that is not in the inventory"
  else
    fail "unregistered: the stranger got an answer"
  fi
else
  check "$SCENARIO: address" "$(console_value "$CONSOLE" IPV4ADDR)" "$IP"
  check "$SCENARIO: host name" "$(console_value "$CONSOLE" HOSTNAME)" "$HOST"
  check "$SCENARIO: root path" "$(console_value "$CONSOLE" ROOTPATH)" "$ROOT_PATH"
  check "$SCENARIO: next server" "$(console_value "$CONSOLE" ROOTSERVER)" "$SERVER_IP"
  check "$SCENARIO: boot file for a plain BOOTP client" "$(console_value "$CONSOLE" filename)" "$BOOT_FILE"
  check "$SCENARIO: sha256 of the file fetched over TFTP" "$(console_value "$CONSOLE" SHA256)" "$WANT_SHA"
fi

# The server's events (written to the database; complete once it has stopped) tell which way
# the machine booted: the boot file in each BOOTP/DHCP reply and each file sent over TFTP.
kill "$SERVER"
wait "$SERVER"
rc=$?
if [ "$rc" -eq 0 ]; then pass "bootkeeperd stopped cleanly"; else fail "bootkeeperd exit status $rc on SIGTERM" "$(tail -n 20 "$LOG")"; fi
# One line per reply and per file sent: "bootp.reply DHCPOFFER|BOOTP FILE", "tftp.finish FILE".
# Files are listed without a leading slash: pxelinux and iPXE ask for "/lab/vmlinuz".
EVENTS="$(sqlite3 "$DB" "select kind || ' ' ||
                           case kind when 'bootp.reply' then ifnull(json_extract(detail, '$.dhcp'), 'BOOTP') || ' '
                                     else '' end || ltrim(json_extract(detail, '$.file'), '/')
                         from events where kind in ('bootp.reply', 'tftp.finish') order by id")"
sent() { grep -Fxq "tftp.finish $1" <<<"$EVENTS"; }
expect_sent() {
  if sent "$1"; then pass "$SCENARIO: $2"; else fail "$SCENARIO: $2 ($1 was never sent)"; fi
}
expect_not_sent() {
  if sent "$1"; then fail "$SCENARIO: $2 ($1 was sent)"; else pass "$SCENARIO: $2"; fi
}
expect_offered() {  # expect_offered DHCPOFFER|BOOTP FILE NAME: a reply of that kind named FILE
  if grep -Fxq "bootp.reply $1 $2" <<<"$EVENTS"; then
    pass "$SCENARIO: $3"
  else
    fail "$SCENARIO: $3 (no $1 reply named $2)"
  fi
}
DASHED="${MAC//:/-}"
case "$SCENARIO" in
  bios)
    expect_offered DHCPOFFER "lab/pxelinux.0" "the firmware's iPXE was offered the chainloader lab/pxelinux.0"
    expect_sent "lab/pxelinux.0" "the chainloader pxelinux.0 was loaded"
    expect_sent "lab/ldlinux.c32" "  ... and its module ldlinux.c32"
    expect_sent "lab/pxelinux.cfg/01-$DASHED" "pxelinux read its generated pxelinux.cfg/01-$DASHED"
    expect_not_sent "$DASHED.ipxe" "no iPXE script for an image of kind pxelinux"
    expect_sent "lab/vmlinuz" "the kernel came over TFTP"
    expect_sent "lab/initrd.gz" "the initrd came over TFTP"
    ;;
  ipxe | uefi)
    expect_offered DHCPOFFER "$DASHED.ipxe" "the firmware's iPXE was offered its script $DASHED.ipxe"
    expect_sent "$DASHED.ipxe" "iPXE loaded the generated script $DASHED.ipxe"
    expect_not_sent "lab/pxelinux.0" "no pxelinux on the way"
    expect_sent "lab/vmlinuz" "the kernel came over TFTP"
    expect_sent "lab/initrd.gz" "the initrd came over TFTP"
    ;;
  kernel)
    expect_not_sent "lab/vmlinuz" "the kernel came from QEMU, not over TFTP"
    ;;
esac
# Every file the boot asked for was there (pxelinux, for one, would ask for the kernel under
# a name of its own making if the generated config named it in a way it reads differently).
OUT="$(sqlite3 "$DB" "select json_extract(detail, '$.file') || ': ' || json_extract(detail, '$.why')
                      from events where kind = 'tftp.error' order by id")"
if [ -z "$OUT" ]; then pass "$SCENARIO: no TFTP request was refused"; else fail "$SCENARIO: TFTP requests were refused" "$OUT"; fi
if [ "$SCENARIO" = unregistered ]; then
  expect_not_sent "lab/test.bin" "nothing fetched without an address"
  OUT="$(sqlite3 "$DB" "select mac, count from discovered")"
  expect_out "^$MAC\|[1-9][0-9]*$" "unregistered: $MAC is listed in the discovered table"
  OUT="$(sqlite3 "$DB" "select kind || ' ' || ifnull(mac, '') from events")"
  expect_out "^bootp.unknown $MAC$" "unregistered: and a bootp.unknown event recorded"
else
  expect_offered BOOTP "$BOOT_FILE" "the initramfs's BOOTP request was answered with the boot file $BOOT_FILE"
  expect_sent "lab/test.bin" "the initramfs fetched lab/test.bin"
fi

# When a check failed: the end of the console, QEMU's messages, the server's log and events.
if [ "$FAILED" -gt 0 ]; then
  echo "--- console (last 60 lines)"
  tr -d '\r' <"$CONSOLE" 2>/dev/null | tail -n 60
  echo "--- qemu"
  cat "$WORK/qemu.log"
  echo "--- server (last 30 lines)"
  tail -n 30 "$LOG"
  echo "--- events"
  sqlite3 "$DB" "select kind, ifnull(mac, ''), detail from events order by id"
fi
echo "# $SCENARIO: the VM ran for $ELAPSED s; the whole test took $SECONDS s"
finish
