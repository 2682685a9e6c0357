#include "db/ipv4.hpp"

#include <charconv>
#include <stdexcept>

namespace bk::db {

std::optional<Ipv4> Ipv4::parse(std::string_view text) {
  std::uint32_t acc = 0;
  std::size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 4)
      ++pos;
    const std::size_t len = pos - start;
    if (len == 0 || len > 3) return std::nullopt;
    if (len > 1 && text[start] == '0') return std::nullopt;
    unsigned octet = 0;
    std::from_chars(text.data() + start, text.data() + pos, octet);
    if (octet > 255) return std::nullopt;
    acc = (acc << 8) | octet;
  }
  if (pos != text.size()) return std::nullopt;
  return Ipv4(acc);
}

std::array<std::uint8_t, 4> Ipv4::bytes() const {
  return {static_cast<std::uint8_t>(value_ >> 24), static_cast<std::uint8_t>(value_ >> 16),
          static_cast<std::uint8_t>(value_ >> 8), static_cast<std::uint8_t>(value_)};
}

std::string Ipv4::str() const {
  const auto b = bytes();
  return std::to_string(b[0]) + '.' + std::to_string(b[1]) + '.' + std::to_string(b[2]) + '.' +
         std::to_string(b[3]);
}

Endpoint Endpoint::parse(std::string_view text, std::uint16_t default_port, std::string_view what) {
  const auto fail = [&](std::string_view why) {
    return std::runtime_error(std::string(what) + " " + std::string(text) + ": " + std::string(why));
  };
  std::string_view host = text;
  Endpoint e;
  e.port = default_port;
  if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    const auto p = text.substr(colon + 1);
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc{} || end != p.data() + p.size() || v > 65535) {
      throw fail("the port must be 0 (any free port) to 65535");
    }
    e.port = static_cast<std::uint16_t>(v);
  }
  const auto addr = Ipv4::parse(host);
  if (!addr) throw fail("expected ADDRESS[:PORT], e.g. 0.0.0.0:" + std::to_string(default_port));
  e.address = *addr;
  return e;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto addr = Ipv4::parse(text.substr(0, slash));
  const std::string_view p = text.substr(slash + 1);
  if (!addr || p.empty() || p.size() > 2 || (p.size() == 2 && p[0] == '0')) return std::nullopt;
  int prefix = -1;
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  if (ec != std::errc{} || end != p.data() + p.size() || prefix < 0 || prefix > 32) {
    return std::nullopt;
  }
  Cidr c(*addr, prefix);
  if ((addr->value() & c.mask().value()) != addr->value()) return std::nullopt;  // host bits set
  return c;
}

std::optional<Cidr> Cidr::from_mask(Ipv4 addr, Ipv4 mask) {
  const std::uint32_t m = mask.value();
  if ((~m & (~m + 1)) != 0) return std::nullopt;  // ones must be contiguous from the top
  int prefix = 0;
  for (std::uint32_t bit = 0x8000'0000u; bit != 0 && (m & bit) != 0; bit >>= 1)
    ++prefix;
  return Cidr(Ipv4(addr.value() & m), prefix);
}

std::string Cidr::str() const {
  return network_.str() + '/' + std::to_string(prefix_);
}

}  // namespace bk::db
