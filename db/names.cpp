#include "db/names.hpp"

namespace bk::db {
namespace {
bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
}  // namespace

bool is_valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  char prev = '.';
  for (const char c : name) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (is_alnum(c) || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

std::optional<std::string> relative_path_problem(std::string_view path) {
  if (path.empty()) return "is empty";
  if (path.size() > 1024) return "is longer than 1024 characters";
  if (path.front() == '/') return "must be relative to the image root (remove the leading '/')";
  for (const char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "contains a control character";
    if (c == '\\') return "contains a backslash (use '/')";
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty()) return "contains an empty component ('//' or a trailing '/')";
    if (part == "." || part == "..") return "contains '.' or '..' (it must stay beneath the image root)";
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace bk::db
