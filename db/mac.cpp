#include "db/mac.hpp"

#include <algorithm>

namespace bk::db {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads `count` hex digits into `acc`; false on a non-hex character.
bool take_hex(std::string_view text, std::size_t pos, std::size_t count, std::uint64_t& acc) {
  for (std::size_t i = 0; i < count; ++i) {
    const int d = hex_digit(text[pos + i]);
    if (d < 0) return false;
    acc = (acc << 4) | static_cast<std::uint64_t>(d);
  }
  return true;
}

// Groups of `group` hex digits separated by exactly `sep`.
std::optional<Mac> parse_grouped(std::string_view text, std::size_t group, char sep) {
  const std::size_t groups = 12 / group;
  if (text.size() != 12 + groups - 1) return std::nullopt;
  std::uint64_t acc = 0;
  std::size_t pos = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    if (g > 0) {
      if (text[pos] != sep) return std::nullopt;
      ++pos;
    }
    if (!take_hex(text, pos, group, acc)) return std::nullopt;
    pos += group;
  }
  return Mac::from_value(acc);
}

}  // namespace

std::optional<Mac> Mac::parse(std::string_view text) {
  switch (text.size()) {
    case 12:
      return parse_grouped(text, 12, '\0');
    case 14:
      return parse_grouped(text, 4, '.');
    case 17: {
      const char sep = text[2];
      if (sep != ':' && sep != '-') return std::nullopt;
      return parse_grouped(text, 2, sep);
    }
    default:
      return std::nullopt;
  }
}

Mac Mac::from_bytes(std::span<const std::uint8_t, 6> bytes) {
  std::uint64_t acc = 0;
  for (const std::uint8_t b : bytes)
    acc = (acc << 8) | b;
  return Mac(acc);
}

std::array<std::uint8_t, 6> Mac::bytes() const {
  std::array<std::uint8_t, 6> out{};
  for (std::size_t i = 0; i < 6; ++i) {
    out[i] = static_cast<std::uint8_t>(value_ >> (8 * (5 - i)));
  }
  return out;
}

std::string Mac::str() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(17);
  for (const std::uint8_t b : bytes()) {
    if (!out.empty()) out.push_back(':');
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

std::string Mac::dashed() const {
  std::string s = str();
  std::ranges::replace(s, ':', '-');
  return s;
}

std::string Mac::hex() const {
  std::string s = str();
  std::erase(s, ':');
  return s;
}

}  // namespace bk::db
