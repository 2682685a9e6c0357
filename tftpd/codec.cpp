#include "tftpd/codec.hpp"

#include <algorithm>

#include "db/bytes.hpp"

namespace bk::tftp {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  return out;
}

// Name/value pairs up to the end of the packet (RFC 2347). A trailing unterminated field is
// malformed; some clients pad requests with NULs, so empty names at the end are skipped.
bool read_options(db::ByteReader& r, std::vector<Option>& out, std::string& why) {
  while (!r.empty()) {
    const auto name = r.cstring();
    if (!name) {
      why = "option name not terminated";
      return false;
    }
    if (name->empty()) {
      const auto rest = r.rest();
      if (std::ranges::all_of(rest, [](std::uint8_t b) { return b == 0; })) return true;
      why = "empty option name";
      return false;
    }
    const auto value = r.cstring();
    if (!value) {
      why = "option value not terminated";
      return false;
    }
    if (out.size() == max_request_options) {
      why = "more than 16 options";
      return false;
    }
    out.push_back({lower(*name), std::string(*value)});
  }
  return true;
}

}  // namespace

Decoded decode(std::span<const std::uint8_t> packet) {
  db::ByteReader r(packet);
  const auto op = r.u16();
  if (!op) return Malformed{"packet shorter than an opcode"};
  switch (static_cast<Opcode>(*op)) {
    case Opcode::rrq:
    case Opcode::wrq: {
      Request q;
      q.op = static_cast<Opcode>(*op);
      const auto file = r.cstring();
      if (!file) return Malformed{"file name not terminated"};
      const auto mode = r.cstring();
      if (!mode) return Malformed{"mode not terminated"};
      q.filename = std::string(*file);
      q.mode = lower(*mode);
      std::string why;
      if (!read_options(r, q.options, why)) return Malformed{why};
      return Packet{std::move(q)};
    }
    case Opcode::data: {
      const auto block = r.u16();
      if (!block) return Malformed{"DATA shorter than its header"};
      return Packet{Data{*block, r.rest()}};
    }
    case Opcode::ack: {
      const auto block = r.u16();
      if (!block) return Malformed{"ACK shorter than its header"};
      return Packet{Ack{*block}};
    }
    case Opcode::error: {
      const auto code = r.u16();
      if (!code) return Malformed{"ERROR shorter than its header"};
      Error e{*code, {}};
      // The message should end in a NUL; a missing one is tolerated, the text is kept as data.
      const auto rest = r.rest();
      const auto nul = std::ranges::find(rest, std::uint8_t{0});
      e.message.assign(rest.begin(), nul);
      return Packet{std::move(e)};
    }
    case Opcode::oack: {
      Oack o;
      std::string why;
      if (!read_options(r, o.options, why)) return Malformed{why};
      return Packet{std::move(o)};
    }
  }
  return Malformed{"unknown opcode " + std::to_string(*op)};
}

void encode_request(std::vector<std::uint8_t>& out, const Request& q) {
  db::ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(q.op));
  w.text(q.filename);
  w.u8(0);
  w.text(q.mode);
  w.u8(0);
  for (const auto& o : q.options) {
    w.text(o.name);
    w.u8(0);
    w.text(o.value);
    w.u8(0);
  }
}

void encode_data_header(std::uint8_t out[4], std::uint16_t block) {
  out[0] = 0;
  out[1] = static_cast<std::uint8_t>(Opcode::data);
  out[2] = static_cast<std::uint8_t>(block >> 8);
  out[3] = static_cast<std::uint8_t>(block);
}

void encode_ack(std::vector<std::uint8_t>& out, std::uint16_t block) {
  db::ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(Opcode::ack));
  w.u16(block);
}

void encode_error(std::vector<std::uint8_t>& out, ErrorCode code, std::string_view message) {
  db::ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(Opcode::error));
  w.u16(static_cast<std::uint16_t>(code));
  for (const char c : message.substr(0, 200))
    if (c != 0) w.u8(static_cast<std::uint8_t>(c));
  w.u8(0);
}

void encode_oack(std::vector<std::uint8_t>& out, const std::vector<Option>& options) {
  db::ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(Opcode::oack));
  for (const auto& o : options) {
    w.text(o.name);
    w.u8(0);
    w.text(o.value);
    w.u8(0);
  }
}

}  // namespace bk::tftp
