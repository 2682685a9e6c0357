#pragma once
// The inventory the fuzz targets run against: the unit tests' lab plus what the BOOTP paths
// branch on (a relayed subnet without a pool, a pool subnet, an image without options, a machine
// whose essential options alone overflow a BOOTP vendor area, a pool-bound machine). Built once
// per process: every input sees the same Snapshot, so a crash replays from the input alone.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "db/document.hpp"
#include "db/draft.hpp"
#include "db/snapshot.hpp"
#include "fuzz_check.hpp"
#include "unit/lab.hpp"

namespace bk::fuzz {

inline constexpr const char* kNow = "2026-12-04T00:00:00.000Z";

inline nlohmann::json lab_document() {
  auto doc = test::lab_document();
  doc["images"].push_back(
      {{"name", "lab-efi"},
       {"kind", "efi"},
       {"boot_file", "efi/grubx64.efi"},
       {"arch", "x86_64"},
       {"options", {{"tftp-server-name", "198.18.0.1"}, {"pxelinux-configfile", "efi.cfg"}}}});
  doc["subnets"].push_back(
      {{"name", "far"},
       {"network", "198.18.10.0/24"},
       {"gateway", "198.18.10.1"},
       {"dns", {"198.18.10.2", "198.18.10.3"}},
       {"domain", "far.lab.test"},
       {"options", {{"ntp-servers", "198.18.10.2,198.18.10.3"}, {"interface-mtu", 1500}}}});
  doc["subnets"].push_back({{"name", "poolnet"},
                            {"network", "198.18.20.0/24"},
                            {"gateway", "198.18.20.1"},
                            {"next_server", "198.18.0.1"},
                            {"pool", {{"start", "198.18.20.100"}, {"end", "198.18.20.110"}}},
                            {"default_image", "lab-efi"}});
  // No image and no default image on its subnet: a reply without a boot file.
  doc["machines"].push_back({{"mac", "52:54:00:00:10:01"}, {"hostname", "far01"}, {"ip", "198.18.10.5"}});
  // Host name (63 octets) plus mask, router and file size: more than the 59 octets of options
  // a 64-byte vendor area holds, so only the essential options may remain.
  doc["machines"].push_back(
      {{"mac", "52:54:00:12:34:58"},
       {"hostname", "rack07-node-with-a-name-long-enough-to-fill-a-bootp-vendor-area"},
       {"ip", "198.18.0.52"},
       {"image", "lab-efi"},
       {"group", "rack-07"},
       {"options", {{"root-path", "/srv/nfs/rack07"}, {"extensions-path", "ext/rack07"}}}});
  doc["machines"].push_back({{"mac", "52:54:00:00:20:64"},
                             {"hostname", "poolnet-20-100"},
                             {"ip", "198.18.20.100"},
                             {"origin", "pool"}});
  return doc;
}

// The lab as a Snapshot. A fixture that no longer imports is a broken harness, not a finding.
inline const db::Snapshot& lab_snapshot() {
  static const db::Snapshot snap = [] {
    db::Snapshot empty;
    db::Draft d(empty, kNow);
    const auto report = db::import_document(d, lab_document());
    if (!report.ok()) {
      std::fprintf(stderr, "fuzz lab does not import:\n%s\n", report.to_json().dump(2).c_str());
      __builtin_trap();
    }
    return std::move(d).finish(1);
  }();
  return snap;
}

// Sizes of the files in the lab's image store.
inline std::optional<std::uint64_t> lab_file_size(std::string_view path) {
  static const std::map<std::string, std::uint64_t, std::less<>> files{
      {"pxelinux.0", 42'000}, {"efi/grubx64.efi", 1'000'000}, {"memtest86+.bin", 180'000}};
  const auto it = files.find(path);
  if (it == files.end()) return std::nullopt;
  return it->second;
}

}  // namespace bk::fuzz
