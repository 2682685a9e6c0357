#include "server/bootp/packet.hpp"

#include <algorithm>
#include <cstring>

#include "db/bytes.hpp"

namespace bk::bootp {
namespace {

using db::ByteReader;
using db::ByteWriter;

constexpr std::uint8_t kPad = 0;
constexpr std::uint8_t kEnd = 255;
constexpr std::uint8_t kOverload = 52;

template <std::size_t N>
std::string_view field_text(const std::array<std::uint8_t, N>& a) {
  const auto* p = reinterpret_cast<const char*>(a.data());
  return {p, strnlen(p, N)};
}

template <std::size_t N>
void set_field(std::array<std::uint8_t, N>& a, std::string_view s) {
  a.fill(0);
  std::memcpy(a.data(), s.data(), std::min(s.size(), N - 1));
}

// Reads options until End or the end of the area. False when an option ran past the end.
bool read_options(std::span<const std::uint8_t> area, std::vector<OptionList::Piece>& out) {
  ByteReader r(area);
  while (!r.empty()) {
    const std::uint8_t code = *r.u8();
    if (code == kPad) continue;
    if (code == kEnd) return true;
    const auto len = r.u8();
    if (!len) return false;
    const auto value = r.bytes(*len);
    if (!value) return false;
    out.push_back({code, *value});
  }
  return true;
}

}  // namespace

void OptionList::assign(std::span<const Piece> pieces) {
  clear();
  entries_.reserve(pieces.size());
  std::array<std::uint32_t, 256> total{};
  std::array<std::int16_t, 256> slot{};
  slot.fill(-1);
  for (const auto& p : pieces) {
    if (slot[p.code] < 0) {
      slot[p.code] = static_cast<std::int16_t>(entries_.size());
      entries_.push_back({p.code, 0, 0});
    }
    total[p.code] += static_cast<std::uint32_t>(p.value.size());
  }
  std::uint32_t offset = 0;
  for (auto& e : entries_) {
    e.offset = offset;
    offset += total[e.code];
  }
  data_.resize(offset);
  for (const auto& p : pieces) {
    Entry& e = entries_[static_cast<std::size_t>(slot[p.code])];
    std::copy(p.value.begin(), p.value.end(), data_.begin() + e.offset + e.length);
    e.length += static_cast<std::uint32_t>(p.value.size());
  }
}

void OptionList::add(std::uint8_t code, std::span<const std::uint8_t> value) {
  if (entries_.empty()) {  // one allocation each for a typical reply, not one per doubling
    entries_.reserve(16);
    data_.reserve(160);
  }
  for (auto& e : entries_) {
    if (e.code != code) continue;
    // RFC 3396: a repeated option continues the first. Move the value to the end so it stays
    // contiguous.
    std::vector<std::uint8_t> joined(data_.begin() + e.offset, data_.begin() + e.offset + e.length);
    joined.insert(joined.end(), value.begin(), value.end());
    e.offset = static_cast<std::uint32_t>(data_.size());
    e.length = static_cast<std::uint32_t>(joined.size());
    data_.insert(data_.end(), joined.begin(), joined.end());
    return;
  }
  entries_.push_back(
      {code, static_cast<std::uint32_t>(data_.size()), static_cast<std::uint32_t>(value.size())});
  data_.insert(data_.end(), value.begin(), value.end());
}

std::optional<std::span<const std::uint8_t>> OptionList::get(std::uint8_t code) const {
  for (const auto& e : entries_) {
    if (e.code == code) return value(e);
  }
  return std::nullopt;
}

std::optional<std::uint8_t> OptionList::u8(std::uint8_t code) const {
  const auto v = get(code);
  if (!v || v->size() != 1) return std::nullopt;
  return (*v)[0];
}

std::optional<std::uint16_t> OptionList::u16(std::uint8_t code) const {
  const auto v = get(code);
  if (!v || v->size() != 2) return std::nullopt;
  return static_cast<std::uint16_t>(((*v)[0] << 8) | (*v)[1]);
}

std::optional<std::uint16_t> Packet::client_arch() const {
  const auto v = options.get(93);
  if (!v || v->size() < 2 || v->size() % 2 != 0) return std::nullopt;
  return static_cast<std::uint16_t>(((*v)[0] << 8) | (*v)[1]);
}

std::optional<Ipv4> OptionList::ip(std::uint8_t code) const {
  const auto v = get(code);
  if (!v || v->size() != 4) return std::nullopt;
  return Ipv4::from_bytes((*v)[0], (*v)[1], (*v)[2], (*v)[3]);
}

std::string_view OptionList::text(std::uint8_t code) const {
  const auto v = get(code);
  if (!v) return {};
  return {reinterpret_cast<const char*>(v->data()), v->size()};
}

std::string_view Packet::sname_text() const {
  return field_text(sname);
}
std::string_view Packet::file_text() const {
  return field_text(file);
}
void Packet::set_sname(std::string_view s) {
  set_field(sname, s);
}
void Packet::set_file(std::string_view s) {
  set_field(file, s);
}

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::too_short:
      return "too_short";
    case DecodeError::bad_hlen:
      return "bad_hlen";
  }
  return "unknown";
}

Decoded decode(std::span<const std::uint8_t> datagram) {
  ByteReader r(datagram);
  if (r.remaining() < kHeaderSize) return {std::nullopt, DecodeError::too_short};
  Packet p;
  p.op = *r.u8();
  p.htype = *r.u8();
  p.hlen = *r.u8();
  p.hops = *r.u8();
  p.xid = *r.u32();
  p.secs = *r.u16();
  p.flags = *r.u16();
  p.ciaddr = Ipv4(*r.u32());
  p.yiaddr = Ipv4(*r.u32());
  p.siaddr = Ipv4(*r.u32());
  p.giaddr = Ipv4(*r.u32());
  const auto copy = [&](auto& field) {
    const auto b = *r.bytes(field.size());
    std::copy(b.begin(), b.end(), field.begin());
  };
  copy(p.chaddr);
  copy(p.sname);
  copy(p.file);
  if (p.hlen > p.chaddr.size()) return {std::nullopt, DecodeError::bad_hlen};

  const auto vend = r.rest();
  if (vend.size() >= 4 && std::equal(kMagicCookie.begin(), kMagicCookie.end(), vend.begin())) {
    p.cookie = true;
    std::vector<OptionList::Piece> pieces;
    pieces.reserve(32);
    p.options_truncated = !read_options(vend.subspan(4), pieces);
    // RFC 2132 §9.3: option 52 says that file and/or sname carry further options (read in that
    // order after the vendor area). Those fields then hold no names. Like every option it is the
    // concatenation of its pieces (RFC 3396): only a whole value of one byte is an overload, so a
    // longer value that encode splits at 255 bytes does not become one on the next decode.
    std::optional<std::uint8_t> overload;
    std::size_t overload_size = 0;
    for (const auto& piece : pieces) {
      if (piece.code != kOverload) continue;
      overload_size += piece.value.size();
      if (!piece.value.empty()) overload = piece.value[0];
    }
    if (overload_size != 1) overload.reset();
    std::array<std::uint8_t, 128> file{};
    std::array<std::uint8_t, 64> sname{};
    if (overload && (*overload & 1) != 0) {
      file = p.file;  // the pieces point into these copies
      p.file.fill(0);
      p.options_truncated |= !read_options(file, pieces);
    }
    if (overload && (*overload & 2) != 0) {
      sname = p.sname;
      p.sname.fill(0);
      p.options_truncated |= !read_options(sname, pieces);
    }
    p.options.assign(pieces);
  } else {
    p.cookie = false;
    p.vendor_blank =
        vend.size() < 4 || std::all_of(vend.begin(), vend.begin() + 4, [](auto b) { return b == 0; });
    std::copy_n(vend.begin(), std::min(vend.size(), p.vend.size()), p.vend.begin());
  }
  return {std::move(p), DecodeError::too_short};
}

void encode_into(const Packet& p, std::vector<std::uint8_t>& out) {
  out.clear();
  out.reserve(kMinReplySize + 64);
  ByteWriter w(out);
  w.u8(p.op);
  w.u8(p.htype);
  w.u8(p.hlen);
  w.u8(p.hops);
  w.u32(p.xid);
  w.u16(p.secs);
  w.u16(p.flags);
  w.u32(p.ciaddr.value());
  w.u32(p.yiaddr.value());
  w.u32(p.siaddr.value());
  w.u32(p.giaddr.value());
  w.bytes(p.chaddr);
  w.bytes(p.sname);
  w.bytes(p.file);
  if (!p.cookie) {
    w.bytes(p.vend);
    return;
  }
  w.bytes(kMagicCookie);
  for (const auto& e : p.options.entries()) {
    auto value = p.options.value(e);
    // Values over 255 bytes are split into consecutive options (RFC 3396).
    do {
      const std::size_t n = std::min<std::size_t>(value.size(), 255);
      w.u8(e.code);
      w.u8(static_cast<std::uint8_t>(n));
      w.bytes(value.first(n));
      value = value.subspan(n);
    } while (!value.empty());
  }
  w.u8(kEnd);
  if (out.size() < kMinReplySize) w.zeros(kMinReplySize - out.size());
}

std::vector<std::uint8_t> encode(const Packet& p) {
  std::vector<std::uint8_t> out;
  encode_into(p, out);
  return out;
}

}  // namespace bk::bootp
