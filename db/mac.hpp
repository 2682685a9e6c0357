#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bk::db {

// A 48-bit Ethernet hardware address. The one place MAC text is parsed and printed.
class Mac {
 public:
  static constexpr std::string_view kAcceptedForms =
      "52:54:00:12:34:56, 52-54-00-12-34-56, 5254.0012.3456 or 525400123456";

  constexpr Mac() = default;
  static std::optional<Mac> parse(std::string_view text);
  static Mac from_bytes(std::span<const std::uint8_t, 6> bytes);
  static constexpr Mac from_value(std::uint64_t v) { return Mac(v & 0xFFFF'FFFF'FFFFull); }

  // Canonical form: lower-case hex, colon separated.
  std::string str() const;
  std::array<std::uint8_t, 6> bytes() const;
  constexpr std::uint64_t value() const { return value_; }
  // "525400123456", as pxelinux and iPXE file names use it.
  std::string hex() const;
  // "52-54-00-12-34-56": pxelinux's 01-<mac> file names and iPXE's ${mac:hexhyp}.
  std::string dashed() const;

  friend constexpr auto operator<=>(Mac, Mac) = default;

 private:
  constexpr explicit Mac(std::uint64_t v) : value_(v) {}
  std::uint64_t value_ = 0;
};

}  // namespace bk::db

template <>
struct std::hash<bk::db::Mac> {
  std::size_t operator()(bk::db::Mac m) const noexcept {
    // Lab MACs share their vendor prefix; mix so that the low bits of the hash vary.
    std::uint64_t x = m.value();
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return static_cast<std::size_t>(x);
  }
};
