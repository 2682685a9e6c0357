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
// SHA-256 of a stream of pieces (an upload read in chunks).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const std::uint8_t> data);
  std::string hex();  // ends the stream

 private:
  void* ctx_;  // EVP_MD_CTX
};

// Equal-length comparison whose time does not depend on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);
// `n` bytes from the system's cryptographic generator, as URL-safe base64 without padding.
std::string random_token(std::size_t n);

}  // namespace bk::db
