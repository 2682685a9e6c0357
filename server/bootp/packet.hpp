#pragma once
// The BOOTP packet (RFC 951) and its vendor area: RFC 1048/2132 options behind the magic
// cookie, or 64 bytes of opaque vendor data without it.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "db/ipv4.hpp"
#include "db/mac.hpp"

namespace bk::bootp {

using db::Ipv4;
using db::Mac;

inline constexpr std::uint8_t kBootRequest = 1;
inline constexpr std::uint8_t kBootReply = 2;
inline constexpr std::size_t kHeaderSize = 236;      // everything before the vendor area
inline constexpr std::size_t kMinReplySize = 300;    // RFC 951: 236 + 64 bytes of vendor area
inline constexpr std::size_t kBootpVendorSize = 64;  // RFC 951 vendor area
inline constexpr std::array<std::uint8_t, 4> kMagicCookie{99, 130, 83, 99};
inline constexpr std::uint16_t kBroadcastFlag = 0x8000;

// Options by code in arrival order. Repeated codes are concatenated (RFC 3396).
class OptionList {
 public:
  void add(std::uint8_t code, std::span<const std::uint8_t> value);
  // Builds the list from options as they came off the wire, joining repeated codes (RFC 3396)
  // in one pass: copying a growing value once per repeat would let a packet of a thousand
  // one-byte repeats cost a thousand times what a normal one does.
  struct Piece {
    std::uint8_t code;
    std::span<const std::uint8_t> value;
  };
  void assign(std::span<const Piece> pieces);
  std::optional<std::span<const std::uint8_t>> get(std::uint8_t code) const;
  bool has(std::uint8_t code) const { return get(code).has_value(); }
  std::optional<std::uint8_t> u8(std::uint8_t code) const;
  std::optional<std::uint16_t> u16(std::uint8_t code) const;
  std::optional<Ipv4> ip(std::uint8_t code) const;
  std::string_view text(std::uint8_t code) const;  // empty when absent

  struct Entry {
    std::uint8_t code;
    std::uint32_t offset;
    std::uint32_t length;
  };
  const std::vector<Entry>& entries() const { return entries_; }
  std::span<const std::uint8_t> value(const Entry& e) const {
    return std::span(data_).subspan(e.offset, e.length);
  }
  bool empty() const { return entries_.empty(); }
  void clear() {
    entries_.clear();
    data_.clear();
  }

 private:
  std::vector<Entry> entries_;
  std::vector<std::uint8_t> data_;
};

struct Packet {
  std::uint8_t op = kBootRequest;
  std::uint8_t htype = 1;
  std::uint8_t hlen = 6;
  std::uint8_t hops = 0;
  std::uint32_t xid = 0;
  std::uint16_t secs = 0;
  std::uint16_t flags = 0;
  Ipv4 ciaddr, yiaddr, siaddr, giaddr;
  std::array<std::uint8_t, 16> chaddr{};
  std::array<std::uint8_t, 64> sname{};
  std::array<std::uint8_t, 128> file{};
  // True when the vendor area starts with the magic cookie and holds options.
  bool cookie = true;
  // Without the cookie: the client's 64 bytes of vendor data, kept as they came.
  std::array<std::uint8_t, kBootpVendorSize> vend{};
  OptionList options;
  // No vendor area at all, or one whose first four bytes are zero (klibc's ipconfig sends
  // 236-byte requests). Such a client gets RFC 1048 options, as CMU bootpd gives it.
  bool vendor_blank = false;
  // The options area ended inside an option; what came before it was kept.
  bool options_truncated = false;

  bool broadcast() const { return (flags & kBroadcastFlag) != 0; }
  Mac mac() const { return Mac::from_bytes(std::span(chaddr).first<6>()); }
  std::string_view sname_text() const;
  std::string_view file_text() const;
  // Option 93 (RFC 4578): a list of 16-bit architecture types; the first is the client's own.
  std::optional<std::uint16_t> client_arch() const;
  void set_sname(std::string_view s);
  void set_file(std::string_view s);
};

enum class DecodeError {
  too_short,  // shorter than the 236-byte header
  bad_hlen,   // hardware address longer than chaddr's 16 bytes
};
std::string_view to_string(DecodeError e);

struct Decoded {
  std::optional<Packet> packet;
  DecodeError error = DecodeError::too_short;
};
Decoded decode(std::span<const std::uint8_t> datagram);

// Encodes `p` with its options (in list order) and End, padded to at least 300 bytes. Without
// the cookie, the 64-byte vend field is written instead.
std::vector<std::uint8_t> encode(const Packet& p);
void encode_into(const Packet& p, std::vector<std::uint8_t>& out);

}  // namespace bk::bootp
