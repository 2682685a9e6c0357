#pragma once
// Files the TFTP server makes from the inventory instead of reading them from the image root:
//   <dir>/pxelinux.cfg/01-<mac>        pxelinux's per-MAC config (ARP type 1, '-' separated)
//   <dir>/pxelinux.cfg/<HEXIP>         the address form pxelinux tries next (C61200 32 -> "C6120032")
//   <mac>.ipxe                         an iPXE script, any accepted MAC form ("525400123456.ipxe")
//   boot.ipxe                          the asking machine's script, found by its address; a
//                                      script that chains to ${mac:hexhyp}.ipxe for others
// Generated only for enabled machines whose image names a kernel; everything else is read from
// the image root as usual. Pure: the same snapshot and name give the same text.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/snapshot.hpp"

namespace bk::tftp {

struct Generated {
  std::string text;
  const db::Machine* machine = nullptr;  // nullptr for the generic boot.ipxe
};

// `path` is already normalised (relative, '/' separated). `client` is the requester's address.
std::optional<Generated> generate(std::string_view path, const db::Snapshot& snap,
                                  std::optional<db::Ipv4> client);

// Every generated file name of one machine, relative to the root (for the preview, the boot
// check and for materialising them on disk for another TFTP server). `pxelinux_dir` is the
// folder of the image's boot file, where pxelinux looks for pxelinux.cfg.
std::vector<std::string> generated_names(const db::Machine& m, const db::Snapshot& snap);

// The files a machine fetches over TFTP when it boots, in order: what `check boot` fetches and
// the preview shows, for a client of architecture `arch` (none: one that does not say, as
// BOOTP). Empty when the machine has no image, or its image no boot file for `arch`.
struct BootStep {
  std::string path;
  std::string what;  // "boot file", "pxelinux config", "iPXE script", "kernel", "initrd"
};
std::vector<BootStep> boot_sequence(const db::Machine& m, const db::Snapshot& snap,
                                    std::optional<db::ClientArch> arch = std::nullopt);

// Every generated file of every machine, plus the generic boot.ipxe: name -> content. For a
// TFTP server that only serves files from disk (tftp-hpa), which then get written there.
std::map<std::string, std::string> all_generated(const db::Snapshot& snap);

}  // namespace bk::tftp
