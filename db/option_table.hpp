#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bk::db {

// How an option's bytes are laid out on the wire (RFC 2132 §2 and the per-option text).
enum class OptionType : std::uint8_t {
  ip,        // one IPv4 address
  ips,       // one or more IPv4 addresses
  ip_pairs,  // pairs of addresses (policy filters, static routes)
  u8,
  u16,
  u32,
  i32,
  flag,   // one octet, 0 or 1
  text,   // NVT ASCII
  u8s,    // list of octets
  u16s,   // list of 16-bit values
  bytes,  // opaque; written as hex "0x0102..."
};

// The one table of options: the codec, the inventory's validation, the REST API and the GUI's
// option editor all read it.
struct OptionDef {
  std::uint8_t code;
  std::string_view name;
  OptionType type;
  // Set by the server from the protocol (lease time, message type...), never by an administrator.
  bool managed = false;
};

std::span<const OptionDef> option_table();
const OptionDef* find_option(std::uint8_t code);
const OptionDef* find_option(std::string_view name);
std::string_view option_type_name(OptionType t);

// "17" or "root-path" -> 17. nullopt with `why` set when neither.
std::optional<std::uint8_t> option_code(std::string_view key, std::string& why);

// JSON value (as written in the inventory document or the API) -> wire bytes. Unknown codes take
// hex strings. nullopt with `why` set when the value does not fit the option's type.
std::optional<std::vector<std::uint8_t>> encode_option_value(std::uint8_t code, const nlohmann::json& value,
                                                             std::string& why);
// Wire bytes -> the canonical JSON value (what export prints). Never fails: bytes that do not
// fit the type come back as hex.
nlohmann::json decode_option_value(std::uint8_t code, std::span<const std::uint8_t> bytes);

}  // namespace bk::db
