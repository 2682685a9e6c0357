#pragma once
// The TFTP wire format (RFC 1350, options per RFC 2347): the only code that reads or writes TFTP
// packets. Every length is checked against the end of the packet before it is used; file name,
// mode and options are NUL-terminated fields that must end inside the packet.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bk::tftp {

enum class Opcode : std::uint16_t { rrq = 1, wrq = 2, data = 3, ack = 4, error = 5, oack = 6 };

// RFC 1350 and RFC 2347 error codes.
enum class ErrorCode : std::uint16_t {
  not_defined = 0,
  file_not_found = 1,
  access_violation = 2,
  disk_full = 3,
  illegal_operation = 4,
  unknown_tid = 5,
  file_exists = 6,
  no_such_user = 7,
  option_refused = 8,
};

struct Option {
  std::string name;  // lower case
  std::string value;
  friend bool operator==(const Option&, const Option&) = default;
};

struct Request {
  Opcode op = Opcode::rrq;  // rrq or wrq
  std::string filename;
  std::string mode;  // lower case
  std::vector<Option> options;
};
struct Data {
  std::uint16_t block = 0;
  std::span<const std::uint8_t> payload;  // points into the decoded packet
};
struct Ack {
  std::uint16_t block = 0;
};
struct Error {
  std::uint16_t code = 0;
  std::string message;
};
struct Oack {
  std::vector<Option> options;
};
using Packet = std::variant<Request, Data, Ack, Error, Oack>;

// Why a packet could not be decoded, and what to answer (RFC 1350 §5: error 4).
struct Malformed {
  std::string why;
};
using Decoded = std::variant<Packet, Malformed>;

// Requests carry at most this many options; more is a malformed packet (no client needs more
// than a handful, and a request full of options is an attack on the OACK).
inline constexpr std::size_t max_request_options = 16;

Decoded decode(std::span<const std::uint8_t> packet);

void encode_request(std::vector<std::uint8_t>& out, const Request& r);
// The 4-byte DATA header; the payload follows it.
void encode_data_header(std::uint8_t out[4], std::uint16_t block);
void encode_ack(std::vector<std::uint8_t>& out, std::uint16_t block);
// The message is cut to 200 bytes and stripped of NULs.
void encode_error(std::vector<std::uint8_t>& out, ErrorCode code, std::string_view message);
void encode_oack(std::vector<std::uint8_t>& out, const std::vector<Option>& options);

}  // namespace bk::tftp
