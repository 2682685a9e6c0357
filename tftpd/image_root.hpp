#pragma once
// The image store: the one place where a client-supplied path becomes an open file. Paths are
// normalised first (leading '/' dropped, '\' read as '/', '..', NUL and control characters
// refused), and then opened with openat2(RESOLVE_BENEATH), so that neither '..' nor a symlink
// can lead outside the root.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bk::tftp {

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A client's file name made relative to the root, or nullopt with `why` set.
std::optional<std::string> normalize_request_path(std::string_view name, std::string& why);

class ImageRoot {
 public:
  // Throws std::runtime_error naming the folder when it cannot be opened.
  explicit ImageRoot(const std::string& path);
  const std::string& path() const { return path_; }

  // Opens a regular file beneath the root for reading; an invalid fd with `why` set otherwise,
  // and `missing` set when the reason is only that no such file exists.
  UniqueFd open(std::string_view name, std::string& why, bool* missing = nullptr) const;
  // Size of a regular file beneath the root.
  std::optional<std::uint64_t> size(std::string_view name) const;

 private:
  std::string path_;
  UniqueFd dir_;
};

}  // namespace bk::tftp

namespace bk::tftp {

// Remembers file sizes for `ttl` seconds: the BOOTP server needs the boot file's size for every
// reply (option 13), and an open and fstat per packet would cost more than the reply itself.
// Not thread-safe: one per thread.
class SizeCache {
 public:
  SizeCache(const ImageRoot& root, double ttl_seconds) : root_(root), ttl_(ttl_seconds) {}
  std::optional<std::uint64_t> size(std::string_view name, double now);

 private:
  struct Entry {
    std::optional<std::uint64_t> size;
    double checked_at;
  };
  const ImageRoot& root_;
  double ttl_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace bk::tftp
