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

namespace {
// Length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629: no overlongs, no surrogates).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n > s.size() - i) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}
bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}
}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool is_printable_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (is_control(static_cast<unsigned char>(s[i]))) return false;
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string excerpt(std::string_view s, std::size_t max) {
  std::string out = "\"";
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size() && chars < max; ++chars) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0 || is_control(static_cast<unsigned char>(s[i]))) {
      out.push_back('?');
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += chars < max || s.size() <= max ? "\"" : "...\"";
  return out;
}

}  // namespace bk::db
