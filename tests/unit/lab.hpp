#pragma once
// A small lab inventory that the unit tests build on, and a temporary directory per test.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "db/document.hpp"
#include "db/draft.hpp"
#include "db/snapshot.hpp"

namespace bk::test {

inline nlohmann::json lab_document() {
  return nlohmann::json::parse(R"({
    "images": [{"name": "lab-bios", "kind": "pxelinux", "boot_file": "pxelinux.0", "kernel": "vmlinuz",
                "initrd": "initrd.gz", "cmdline": "console=ttyS0", "root_path": "/srv/root"}],
    "subnets": [{"name": "lab", "network": "198.18.0.0/24", "gateway": "198.18.0.1", "dns": ["198.18.0.1"],
                 "domain": "lab.test", "next_server": "198.18.0.1",
                 "pool": {"start": "198.18.0.100", "end": "198.18.0.199"}, "default_image": "lab-bios"}],
    "machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01", "ip": "198.18.0.50", "image": "lab-bios",
                  "group": "room-a", "enabled": true, "options": {"17": "/srv/nfs/ws01"}},
                 {"mac": "52:54:00:12:34:57", "hostname": "ws02", "ip": "198.18.0.51", "image": "lab-bios",
                  "group": "room-a", "enabled": false}]
  })");
}

// A Snapshot of `doc`, built in memory through the same rules as an import.
inline db::Snapshot snapshot_of(const nlohmann::json& doc, std::uint64_t generation = 1) {
  db::Snapshot empty;
  db::Draft d(empty, "2026-12-04T00:00:00.000Z");
  const auto report = db::import_document(d, doc);
  if (!report.ok()) throw std::runtime_error(report.to_json().dump());
  return std::move(d).finish(generation);
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bk-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace bk::test
