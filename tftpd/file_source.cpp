#include "tftpd/file_source.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "tftpd/generated.hpp"

namespace bk::tftp {

bool Content::read(std::uint64_t offset, std::span<std::uint8_t> dst) const {
  if (offset > size || dst.size() > size - offset) return false;
  if (bytes) {
    std::copy_n(bytes->data() + offset, dst.size(), dst.data());
    return true;
  }
  std::size_t done = 0;
  while (done < dst.size()) {
    const ssize_t n =
        ::pread(file->fd.get(), dst.data() + done, dst.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string to_netascii(std::string_view text) {
  std::string out;
  out.reserve(text.size() + (text.size() / 32));
  for (const char c : text) {
    if (c == '\n') {
      out += "\r\n";
    } else if (c == '\r') {
      out += '\r';
      out += '\0';
    } else {
      out += c;
    }
  }
  return out;
}

std::variant<Content, Refusal> FileSource::open(std::string_view name, bool netascii,
                                                const db::Snapshot& snap, std::optional<db::Ipv4> client) {
  std::string why;
  const auto rel = normalize_request_path(name, why);
  if (!rel) return Refusal{ErrorCode::access_violation, why};

  if (auto g = generate(*rel, snap, client)) {
    Content c;
    c.bytes = std::make_shared<const std::string>(netascii ? to_netascii(g->text) : std::move(g->text));
    c.made_from_inventory = true;
    c.size = c.bytes->size();
    c.machine = g->machine;
    return c;
  }

  bool missing = false;
  UniqueFd fd = root_.open(*rel, why, &missing);
  if (!fd) return Refusal{missing ? ErrorCode::file_not_found : ErrorCode::access_violation, why};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Refusal{ErrorCode::access_violation, "cannot stat the file"};
  const auto size = static_cast<std::uint64_t>(st.st_size);

  if (netascii) {
    if (size > max_netascii_size) {
      return Refusal{ErrorCode::access_violation, "file too large for netascii mode; use octet"};
    }
    Content raw;
    raw.file = std::make_shared<const SharedFile>(SharedFile{std::move(fd), size});
    raw.size = size;
    std::string text(size, '\0');
    if (!raw.read(0, std::span(reinterpret_cast<std::uint8_t*>(text.data()), text.size()))) {
      return Refusal{ErrorCode::access_violation, "cannot read the file"};
    }
    Content c;
    c.bytes = std::make_shared<const std::string>(to_netascii(text));
    c.size = c.bytes->size();
    return c;
  }

  const Key key{st.st_dev, st.st_ino, (st.st_mtim.tv_sec * 1'000'000'000LL) + st.st_mtim.tv_nsec, size};
  Content c;
  c.size = size;
  if (auto it = open_.find(key); it != open_.end()) c.file = it->second.lock();
  if (!c.file) {
    if (open_.size() > 1024) std::erase_if(open_, [](const auto& e) { return e.second.expired(); });
    c.file = std::make_shared<const SharedFile>(SharedFile{std::move(fd), size});
    open_[key] = c.file;
  }
  return c;
}

std::size_t FileSource::shared_files() {
  std::erase_if(open_, [](const auto& e) { return e.second.expired(); });
  return open_.size();
}

}  // namespace bk::tftp
