# Shared helpers for the end-to-end boot tests (tests/e2e/boot.sh) and the lab tool (deploy/lab):
# a lab network in its own namespace, bootkeeperd serving it, and a QEMU virtual machine that
# boots from it with real firmware (SeaBIOS + iPXE, OVMF + iPXE) or straight from a kernel.
#
#   namespace <prefix>-lab
#     br0   the lab segment; bootkeeperd listens on its address (198.18.0.0/15 only)
#     tap0  enslaved to br0; the VM's virtio-net card is at its other end
#
# Sources tests/integration/lib.sh (pass/fail/finish/on_exit, $BK, $WORK) and netns.sh
# (ns_add/ns/in_ns), so everything created here is removed on exit.
E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$E2E_DIR/../integration/lib.sh"
source "$E2E_DIR/../integration/netns.sh"

QEMU=qemu-system-x86_64
PXE_ROM=/usr/lib/ipxe/qemu/pxe-virtio.rom
EFI_ROM=/usr/lib/ipxe/qemu/efi-virtio.rom
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
PXELINUX=/usr/lib/PXELINUX/pxelinux.0
LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32
IPCONFIG=/usr/lib/klibc/bin/ipconfig

# e2e_missing FIRMWARE...: prints "what (package)" for each missing tool or file that booting
# with these firmwares (bios, uefi, kernel) needs; prints nothing when all are there.
e2e_missing() {
  local want=(
    "$QEMU:qemu-system-x86" "ip:iproute2" "sqlite3:sqlite3" "modprobe:kmod" "readelf:binutils"
    "gzip:gzip" "timeout:coreutils" "sysctl:procps" "/bin/busybox:busybox-static" "$IPCONFIG:klibc-utils"
  )
  local fw
  for fw in "$@"; do
    case "$fw" in
      bios) want+=("$PXE_ROM:ipxe-qemu" "$PXELINUX:pxelinux" "$LDLINUX:syslinux-common") ;;
      uefi) want+=("$EFI_ROM:ipxe-qemu" "$OVMF_CODE:ovmf" "$OVMF_VARS:ovmf") ;;
    esac
  done
  local w what pkg
  for w in "${want[@]}"; do
    what="${w%%:*}" pkg="${w##*:}"
    if [[ "$what" == /* ]]; then
      [ -e "$what" ] || echo "$what (Debian package $pkg)"
    else
      command -v "$what" >/dev/null || echo "$what (Debian package $pkg)"
    fi
  done
  # busybox must be the static one: it runs alone in the initramfs.
  if [ -x /bin/busybox ] && ! file_is_static /bin/busybox; then
    echo "a static /bin/busybox (Debian package busybox-static)"
  fi
  [ -n "$(e2e_kernel_version)" ] || echo "/boot/vmlinuz-*-cloud-amd64 (Debian package linux-image-cloud-amd64)"
}
file_is_static() { ! readelf -l "$1" 2>/dev/null | grep -q "interpreter"; }

# The cloud kernel the VMs boot: its version (the newest installed), or nothing.
e2e_kernel_version() {
  local k
  k="$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$k" ] && [ -d "/lib/modules/${k#/boot/vmlinuz-}" ] && echo "${k#/boot/vmlinuz-}"
}
e2e_kernel() { echo "/boot/vmlinuz-$(e2e_kernel_version)"; }

# The test initramfs (tests/e2e/initramfs.sh), built once per kernel and version of the builder.
e2e_initramfs() { bash "$E2E_DIR/initramfs.sh" "$(e2e_kernel_version)"; }

# in_198_18 ADDR: true when ADDR is in 198.18.0.0/15, the only addresses the lab may use.
in_198_18() { [[ "$1" =~ ^198\.(18|19)\.([0-9]{1,3})\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[2] < 256 && BASH_REMATCH[3] < 256)); }

# lab_network ADDR/PREFIX [EXTRA-ADDR/PREFIX...]: the lab namespace, its bridge with these
# addresses and the VM's tap device.
lab_network() {
  local a
  for a in "$@"; do
    in_198_18 "${a%/*}" || { echo "lab: $a is outside 198.18.0.0/15; the lab uses no other addresses" >&2; return 1; }
  done
  ns_add lab
  # IPv4 from 198.18.0.0/15 only: no IPv6 link-local addresses on the lab's links either.
  in_ns lab sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  # No spanning tree and no forward delay, so that the VM's port forwards as soon as QEMU
  # opens it: a port held in the listening and learning states (15 s by default) would lose
  # the firmware's first DHCP requests.
  in_ns lab ip link add br0 type bridge stp_state 0 forward_delay 0
  for a in "$@"; do in_ns lab ip addr add "$a" dev br0; done
  in_ns lab ip link set br0 up
  in_ns lab ip tuntap add dev tap0 mode tap
  in_ns lab ip link set tap0 master br0
  in_ns lab ip link set tap0 up
}

# lab_server DB IMAGES ADDR LOG [ARGS...]: bootkeeperd in the lab namespace, BOOTP on all of its
# addresses and TFTP on ADDR; waits until it logs "ready". $SERVER is its process id.
lab_server() {
  local db="$1" images="$2" addr="$3" log="$4"
  shift 4
  # Not through in_ns: $! must be the daemon itself (ip netns exec execs it).
  ip netns exec "$(ns lab)" "$BK" --db "$db" --images "$images" --tftp-listen "$addr:69" --no-api \
    --server-name bootkeeper --log-level debug "$@" >>"$log" 2>&1 &
  SERVER=$!
  on_exit "kill $SERVER"
  wait_ready "$log" "$SERVER" 100
}

# lab_vm_command FIRMWARE MAC [KERNEL INITRD CMDLINE]: the QEMU command line in $VM_CMD.
#   bios    SeaBIOS and the virtio card's iPXE ROM, booting from the network (-boot n)
#   uefi    OVMF and iPXE's EFI driver for the card, booting from the network
#   kernel  QEMU loads KERNEL and INITRD itself: no option ROM, no PXE, the OS asks by BOOTP
# The serial console goes to $VM_SERIAL (a QEMU -serial argument, default stdio).
#
# The card is a modern-only virtio device (disable-legacy=on, PCI id 1af4:1041): Debian's iPXE
# ROMs (ipxe-qemu) carry only that id, and SeaBIOS runs no ROM whose id differs from the card's
# (QEMU's default transitional card is 1af4:1000: SeaBIOS then finds nothing to boot). OVMF
# loads the EFI ROM either way; the same card serves all three.
lab_vm_command() {
  local fw="$1" mac="$2"
  local nic="virtio-net-pci,netdev=n0,mac=$mac,disable-legacy=on"
  VM_CMD=("$QEMU" -accel tcg -m 512 -no-reboot -nodefaults -display none
    -serial "${VM_SERIAL:-stdio}" -monitor none
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no)
  case "$fw" in
    bios)
      VM_CMD+=(-device "$nic,romfile=$PXE_ROM" -boot n)
      ;;
    uefi)
      # The firmware keeps its settings in a writable copy of the variable store.
      cp "$OVMF_VARS" "$WORK/OVMF_VARS.fd"
      VM_CMD+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
        -drive "if=pflash,format=raw,unit=1,file=$WORK/OVMF_VARS.fd"
        -device "$nic,romfile=$EFI_ROM" -boot n)
      ;;
    kernel)
      VM_CMD+=(-device "$nic,romfile=" -kernel "$3" -initrd "$4" -append "$5")
      ;;
    *)
      echo "unknown firmware $fw: wanted bios, uefi or kernel" >&2
      return 1
      ;;
  esac
}

# normalize_mac MAC: "52:54:00:0a:00:01" from any of 52-54-00-0A-00-01, 5254000a0001, ...;
# nothing when it is not a MAC.
normalize_mac() {
  local h
  h="$(tr -d ':.-' <<<"$1" | tr 'A-F' 'a-f')"
  [[ "$h" =~ ^[0-9a-f]{12}$ ]] || return 1
  echo "${h:0:2}:${h:2:2}:${h:4:2}:${h:6:2}:${h:8:2}:${h:10:2}"
}

# console_value LOG NAME: the value of "BK-E2E NAME=..." on the VM's console (quotes removed).
console_value() {
  sed -n "s/^BK-E2E $2=//p" "$1" | tr -d "\r'\"" | tail -n 1
}
