#!/usr/bin/env bash
# Builds the small initramfs that the boot tests and deploy/lab start in a VM, and prints its path.
#
# It holds busybox (static), klibc's ipconfig and the virtio-net driver modules of this machine's
# cloud kernel. Its /init asks for an address with BOOTP (ipconfig), prints what it got, fetches
# one file over TFTP, prints the file's sha256 and powers the VM off. Every line meant for the
# tests starts with "BK-E2E".
#
# The kernel command line drives it:
#   bk.file=PATH      the file to fetch over TFTP (default: the boot file named in the reply)
#   bk.server=ADDR    the TFTP server (default: the next server from the BOOTP reply)
#   bk.wait=SECONDS   how long ipconfig waits for an answer (default 30)
#
# The result is cached in ${BK_E2E_CACHE:-/var/tmp/bootkeeper-e2e}, one file per kernel version
# and version of this script, so that a change here builds a new one.
#   usage: initramfs.sh KERNEL-VERSION
set -euo pipefail
ver="${1:?usage: initramfs.sh KERNEL-VERSION}"
cache="${BK_E2E_CACHE:-/var/tmp/bootkeeper-e2e}"
self_hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
out="$cache/initrd-$ver-$self_hash.gz"
if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi

ipconfig=/usr/lib/klibc/bin/ipconfig
for f in /bin/busybox "$ipconfig" "/lib/modules/$ver/modules.dep"; do
  [ -e "$f" ] || { echo "initramfs: $f is missing" >&2; exit 1; }
done
mkdir -p "$cache"
stage="$(mktemp -d "$cache/stage-XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,run,tmp,lib/modules}

cp /bin/busybox "$stage/bin/busybox"
cp "$ipconfig" "$stage/bin/ipconfig"
# klibc programs name their shared library as their ELF interpreter (/lib/klibc-<hash>.so).
interp="$(readelf -l "$ipconfig" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')"
if [ -n "$interp" ]; then
  mkdir -p "$stage$(dirname "$interp")"
  cp "$interp" "$stage$interp"
fi

# The virtio PCI transport and the virtio-net driver, dependencies first.
: >"$stage/lib/modules/order"
for m in virtio_pci virtio_net; do
  modprobe -S "$ver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  base="$(basename "$ko")"
  case "$ko" in
    *.ko) cp "$ko" "$stage/lib/modules/$base" ;;
    *.ko.xz) xz -dc "$ko" >"$stage/lib/modules/${base%.xz}"; base="${base%.xz}" ;;
    *.ko.zst) zstd -qdc "$ko" >"$stage/lib/modules/${base%.zst}"; base="${base%.zst}" ;;
    *) echo "initramfs: unexpected module file $ko" >&2; exit 1 ;;
  esac
  echo "$base" >>"$stage/lib/modules/order"
done
grep -q virtio_net "$stage/lib/modules/order" || { echo "initramfs: no virtio_net module for $ver" >&2; exit 1; }

mknod "$stage/dev/console" c 5 1
mknod "$stage/dev/null" c 1 3

cat >"$stage/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

say() { echo "BK-E2E $*"; }
# On any failure: what the network looked like, then off.
give_up() {
  say "FAIL $*"
  ip addr 2>&1 | sed 's/^/BK-E2E   /'
  dmesg | tail -n 20 | sed 's/^/BK-E2E   /'
  echo "BK-E2E-DONE"
  poweroff -f
}

file="" server="" wait=30
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    bk.file=*) file="${arg#bk.file=}" ;;
    bk.server=*) server="${arg#bk.server=}" ;;
    bk.wait=*) wait="${arg#bk.wait=}" ;;
  esac
done
say "init on $(uname -r)"

for m in $(cat /lib/modules/order); do insmod "/lib/modules/$m" || say "insmod $m failed"; done
for _ in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
[ -e /sys/class/net/eth0 ] || give_up "no eth0"
say "MAC=$(cat /sys/class/net/eth0/address)"
ip link set eth0 up

# klibc ipconfig writes what the server said to /run/net-eth0.conf. Its -t is not a hard limit
# (with its back-off, -t 20 gives up after about 30 s), so timeout stops it at twice that.
timeout "$((wait * 2 + 10))" ipconfig -t "$wait" -c bootp -d eth0 >/tmp/ipconfig.log 2>&1
if [ ! -s /run/net-eth0.conf ]; then
  sed 's/^/BK-E2E   ipconfig: /' /tmp/ipconfig.log
  say "NOADDR no BOOTP answer in $wait s"
  echo "BK-E2E-NOADDR"
  echo "BK-E2E-DONE"
  poweroff -f
fi
sed 's/^/BK-E2E /' /run/net-eth0.conf
. /run/net-eth0.conf
[ -n "$server" ] || server="$ROOTSERVER"
[ -n "$server" ] && [ "$server" != 0.0.0.0 ] || give_up "no TFTP server: no next server in the reply"
[ -n "$file" ] || file="$filename"
[ -n "$file" ] || give_up "no file to fetch: no bk.file= and no boot file in the reply"

say "TFTP $server $file"
if busybox tftp -b 1428 -g -r "$file" -l /tmp/f "$server" 2>/tmp/tftp.log; then
  say "SHA256=$(sha256sum /tmp/f | cut -d' ' -f1)"
  say "SIZE=$(wc -c </tmp/f)"
else
  sed 's/^/BK-E2E   tftp: /' /tmp/tftp.log
  give_up "TFTP $file from $server"
fi
echo "BK-E2E-DONE"
poweroff -f
INIT
chmod 755 "$stage/init"

tmp="$(mktemp "$cache/initrd-XXXXXX")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 >"$tmp"
chmod 644 "$tmp"
mv -f "$tmp" "$out"  # atomic: tests running side by side see a whole file or none
# Older builds for this kernel are no longer used.
for old in "$cache/initrd-$ver-"*.gz; do [ "$old" = "$out" ] || rm -f "$old"; done
echo "$out"
