#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace bk::db {

// An IPv4 address in host byte order. The one place dotted-quad text is parsed and printed.
class Ipv4 {
 public:
  constexpr Ipv4() = default;
  constexpr explicit Ipv4(std::uint32_t v) : value_(v) {}
  // Strict dotted quad: four decimal octets 0-255, no leading zeros (they read as octal elsewhere).
  static std::optional<Ipv4> parse(std::string_view text);
  static constexpr Ipv4 from_bytes(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return Ipv4((std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d);
  }

  std::string str() const;
  std::array<std::uint8_t, 4> bytes() const;
  constexpr std::uint32_t value() const { return value_; }
  constexpr bool is_zero() const { return value_ == 0; }

  friend constexpr auto operator<=>(Ipv4, Ipv4) = default;

 private:
  std::uint32_t value_ = 0;
};

// ADDRESS[:PORT] as given to --bootp-listen and --tftp-listen.
struct Endpoint {
  Ipv4 address;
  std::uint16_t port = 0;
  // Throws std::runtime_error naming `what` (the flag) and the expected form.
  static Endpoint parse(std::string_view text, std::uint16_t default_port, std::string_view what);
};

// A network: address plus prefix length, with no host bits set.
class Cidr {
 public:
  constexpr Cidr() = default;
  static std::optional<Cidr> parse(std::string_view text);
  // The network that `addr` belongs to under `mask`; nullopt when the mask is not contiguous.
  static std::optional<Cidr> from_mask(Ipv4 addr, Ipv4 mask);

  constexpr Ipv4 network() const { return network_; }
  constexpr int prefix() const { return prefix_; }
  constexpr Ipv4 mask() const { return Ipv4(prefix_ == 0 ? 0u : ~std::uint32_t{0} << (32 - prefix_)); }
  constexpr Ipv4 broadcast() const { return Ipv4(network_.value() | ~mask().value()); }
  constexpr bool contains(Ipv4 a) const { return (a.value() & mask().value()) == network_.value(); }
  constexpr bool overlaps(const Cidr& o) const { return contains(o.network()) || o.contains(network()); }
  // True for the network and broadcast addresses of prefixes that have them (/31 and /32 do not).
  constexpr bool is_reserved(Ipv4 a) const { return prefix_ < 31 && (a == network_ || a == broadcast()); }
  std::string str() const;

  friend constexpr auto operator<=>(const Cidr&, const Cidr&) = default;

 private:
  constexpr Cidr(Ipv4 n, int p) : network_(n), prefix_(p) {}
  Ipv4 network_;
  int prefix_ = 0;
};

}  // namespace bk::db

template <>
struct std::hash<bk::db::Ipv4> {
  std::size_t operator()(bk::db::Ipv4 a) const noexcept { return std::hash<std::uint32_t>{}(a.value()); }
};
