#pragma once
// What a read request gets: a file beneath the image root, shared by every transfer reading the
// same bytes, or a file generated from the inventory. Names are made safe by ImageRoot; nothing
// outside the root is ever opened.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>

#include "db/snapshot.hpp"
#include "tftpd/codec.hpp"
#include "tftpd/image_root.hpp"

namespace bk::tftp {

// One open file. Transfers read it with pread, so any number share it; an image replaced by
// rename is a new inode and a new SharedFile, and transfers already running finish the old one.
struct SharedFile {
  UniqueFd fd;
  std::uint64_t size = 0;
};

struct Content {
  std::shared_ptr<const SharedFile> file;    // either this,
  std::shared_ptr<const std::string> bytes;  // or these
  std::uint64_t size = 0;
  const db::Machine* machine = nullptr;  // set for generated files (valid with their snapshot)
  bool made_from_inventory = false;      // a generated file; `bytes` also hold netascii copies
  bool generated() const { return made_from_inventory; }
  // Copies dst.size() bytes from `offset`; false when the file ended early (it was cut short
  // while being read) or could not be read.
  bool read(std::uint64_t offset, std::span<std::uint8_t> dst) const;
};

struct Refusal {
  ErrorCode code = ErrorCode::file_not_found;
  std::string why;
};

// RFC 1350 netascii: LF becomes CR LF, a lone CR becomes CR NUL.
std::string to_netascii(std::string_view text);

class FileSource {
 public:
  explicit FileSource(const ImageRoot& root) : root_(root) {}

  // Largest file served in netascii mode (it is converted in memory).
  static constexpr std::uint64_t max_netascii_size = 16 << 20;

  std::variant<Content, Refusal> open(std::string_view name, bool netascii, const db::Snapshot& snap,
                                      std::optional<db::Ipv4> client);
  // Files now shared (for tests and the stop log).
  std::size_t shared_files();

 private:
  // device, inode, mtime (ns), size: the same key means the same bytes.
  using Key = std::tuple<std::uint64_t, std::uint64_t, std::int64_t, std::uint64_t>;
  const ImageRoot& root_;
  std::map<Key, std::weak_ptr<const SharedFile>> open_;
};

}  // namespace bk::tftp
