#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bk::db {

std::string sha256_hex(std::span<const std::uint8_t> data);
inline std::string sha256_hex(std::string_view s) {
  return sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}
// Equal-length comparison whose time does not depend on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);
// `n` bytes from the system's cryptographic generator, as URL-safe base64 without padding.
std::string random_token(std::size_t n);

}  // namespace bk::db
