#include "tftpd/image_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bk::tftp {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::string> normalize_request_path(std::string_view name, std::string& why) {
  if (name.empty()) {
    why = "empty file name";
    return std::nullopt;
  }
  if (name.size() > 1024) {
    why = "file name longer than 1024 bytes";
    return std::nullopt;
  }
  std::string out;
  out.reserve(name.size());
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = start;
    while (end < name.size() && name[end] != '/' && name[end] != '\\')
      ++end;
    const std::string_view part = name.substr(start, end - start);
    if (part == "..") {
      why = "'..' in the file name";
      return std::nullopt;
    }
    for (const char c : part) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        why = "control character in the file name";
        return std::nullopt;
      }
    }
    if (!part.empty() && part != ".") {
      if (!out.empty()) out.push_back('/');
      out.append(part);
    }
    start = end + 1;
  }
  if (out.empty()) {
    why = "no file in the name";
    return std::nullopt;
  }
  return out;
}

ImageRoot::ImageRoot(const std::string& path) : path_(path) {
  dir_ = UniqueFd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir_) {
    throw std::runtime_error(path + ": cannot open the image root: " + std::strerror(errno));
  }
}

UniqueFd ImageRoot::open(std::string_view name, std::string& why, bool* missing) const {
  const auto rel = normalize_request_path(name, why);
  if (!rel) return {};
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, dir_.get(), rel->c_str(), &how, sizeof how);
  if (fd < 0) {
    if (missing != nullptr) *missing = errno == ENOENT || errno == ENOTDIR;
    why = errno == EXDEV                        ? "path leads outside the image root"
          : errno == ENOENT || errno == ENOTDIR ? "no such file in the image root"
                                                : std::strerror(errno);
    return {};
  }
  UniqueFd f(static_cast<int>(fd));
  struct stat st {};
  if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    why = "not a regular file";
    return {};
  }
  return f;
}

std::optional<std::uint64_t> ImageRoot::size(std::string_view name) const {
  std::string why;
  const UniqueFd f = open(name, why);
  if (!f) return std::nullopt;
  struct stat st {};
  if (::fstat(f.get(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace bk::tftp

namespace bk::tftp {

std::optional<std::uint64_t> SizeCache::size(std::string_view name, double now) {
  // Bounded: a client asking for many names must not grow this without end.
  if (entries_.size() > 4096) entries_.clear();
  auto [it, fresh] = entries_.try_emplace(std::string(name), Entry{std::nullopt, 0});
  if (fresh || now - it->second.checked_at > ttl_) {
    it->second = {root_.size(name), now};
  }
  return it->second.size;
}

}  // namespace bk::tftp
