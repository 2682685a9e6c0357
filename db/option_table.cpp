#include "db/option_table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include <nlohmann/json.hpp>

#include "db/bytes.hpp"
#include "db/ipv4.hpp"

namespace bk::db {
namespace {

using T = OptionType;

// RFC 2132 and the later assignments that boot firmware uses (RFC 2241/2242, 3004, 4578, 5071).
constexpr std::array kTable{
    OptionDef{1, "subnet-mask", T::ip},
    OptionDef{2, "time-offset", T::i32},
    OptionDef{3, "router", T::ips},
    OptionDef{4, "time-server", T::ips},
    OptionDef{5, "name-server", T::ips},
    OptionDef{6, "domain-name-server", T::ips},
    OptionDef{7, "log-server", T::ips},
    OptionDef{8, "cookie-server", T::ips},
    OptionDef{9, "lpr-server", T::ips},
    OptionDef{10, "impress-server", T::ips},
    OptionDef{11, "resource-location-server", T::ips},
    OptionDef{12, "host-name", T::text},
    OptionDef{13, "boot-file-size", T::u16},
    OptionDef{14, "merit-dump", T::text},
    OptionDef{15, "domain-name", T::text},
    OptionDef{16, "swap-server", T::ip},
    OptionDef{17, "root-path", T::text},
    OptionDef{18, "extensions-path", T::text},
    OptionDef{19, "ip-forwarding", T::flag},
    OptionDef{20, "non-local-source-routing", T::flag},
    OptionDef{21, "policy-filter", T::ip_pairs},
    OptionDef{22, "max-datagram-reassembly", T::u16},
    OptionDef{23, "default-ip-ttl", T::u8},
    OptionDef{24, "path-mtu-aging-timeout", T::u32},
    OptionDef{25, "path-mtu-plateau-table", T::u16s},
    OptionDef{26, "interface-mtu", T::u16},
    OptionDef{27, "all-subnets-local", T::flag},
    OptionDef{28, "broadcast-address", T::ip},
    OptionDef{29, "perform-mask-discovery", T::flag},
    OptionDef{30, "mask-supplier", T::flag},
    OptionDef{31, "router-discovery", T::flag},
    OptionDef{32, "router-solicitation-address", T::ip},
    OptionDef{33, "static-routes", T::ip_pairs},
    OptionDef{34, "trailer-encapsulation", T::flag},
    OptionDef{35, "arp-cache-timeout", T::u32},
    OptionDef{36, "ieee802-3-encapsulation", T::flag},
    OptionDef{37, "default-tcp-ttl", T::u8},
    OptionDef{38, "tcp-keepalive-interval", T::u32},
    OptionDef{39, "tcp-keepalive-garbage", T::flag},
    OptionDef{40, "nis-domain", T::text},
    OptionDef{41, "nis-servers", T::ips},
    OptionDef{42, "ntp-servers", T::ips},
    OptionDef{43, "vendor-encapsulated-options", T::bytes},
    OptionDef{44, "netbios-name-servers", T::ips},
    OptionDef{45, "netbios-dd-server", T::ips},
    OptionDef{46, "netbios-node-type", T::u8},
    OptionDef{47, "netbios-scope", T::text},
    OptionDef{48, "font-servers", T::ips},
    OptionDef{49, "x-display-manager", T::ips},
    OptionDef{50, "requested-address", T::ip, true},
    OptionDef{51, "lease-time", T::u32, true},
    OptionDef{52, "option-overload", T::u8, true},
    OptionDef{53, "message-type", T::u8, true},
    OptionDef{54, "server-identifier", T::ip, true},
    OptionDef{55, "parameter-request-list", T::u8s, true},
    OptionDef{56, "message", T::text, true},
    OptionDef{57, "max-message-size", T::u16, true},
    OptionDef{58, "renewal-time", T::u32, true},
    OptionDef{59, "rebinding-time", T::u32, true},
    OptionDef{60, "vendor-class-identifier", T::text, true},
    OptionDef{61, "client-identifier", T::bytes, true},
    OptionDef{64, "nisplus-domain", T::text},
    OptionDef{65, "nisplus-servers", T::ips},
    OptionDef{66, "tftp-server-name", T::text},
    OptionDef{67, "bootfile-name", T::text},
    OptionDef{68, "mobile-ip-home-agent", T::ips},
    OptionDef{69, "smtp-server", T::ips},
    OptionDef{70, "pop3-server", T::ips},
    OptionDef{71, "nntp-server", T::ips},
    OptionDef{72, "www-server", T::ips},
    OptionDef{73, "finger-server", T::ips},
    OptionDef{74, "irc-server", T::ips},
    OptionDef{75, "streettalk-server", T::ips},
    OptionDef{76, "streettalk-directory-assistance-server", T::ips},
    OptionDef{77, "user-class", T::bytes, true},
    OptionDef{93, "client-arch", T::u16s, true},
    OptionDef{94, "client-ndi", T::bytes, true},
    OptionDef{97, "uuid-guid", T::bytes, true},
    OptionDef{119, "domain-search", T::bytes},
    OptionDef{121, "classless-static-route", T::bytes},
    OptionDef{150, "tftp-server-address", T::ips},
    OptionDef{175, "ipxe-encap-options", T::bytes},
    OptionDef{209, "pxelinux-configfile", T::text},
    OptionDef{210, "pxelinux-pathprefix", T::text},
    OptionDef{211, "pxelinux-reboottime", T::u32},
};

constexpr OptionDef kUnknown{0, "unknown", T::bytes};

std::string prefixed_hex(std::span<const std::uint8_t> b) {
  return "0x" + to_hex(b);
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view s) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  std::string digits;
  for (const char c : s) {
    if (c == ':' || c == ' ') continue;
    digits.push_back(c);
  }
  if (digits.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(digits.data() + i, digits.data() + i + 2, v, 16);
    if (ec != std::errc{} || p != digits.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

// Lists may be written as a JSON array or as one comma-separated string.
std::vector<nlohmann::json> items_of(const nlohmann::json& v) {
  if (v.is_array()) return {v.begin(), v.end()};
  if (v.is_string()) {
    std::vector<nlohmann::json> out;
    const std::string s = v.get<std::string>();
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t end = std::min(s.find(',', start), s.size());
      std::string item = s.substr(start, end - start);
      std::erase(item, ' ');
      out.emplace_back(item);
      start = end + 1;
    }
    return out;
  }
  return {v};
}

bool put_ip(const nlohmann::json& v, std::vector<std::uint8_t>& out) {
  if (!v.is_string()) return false;
  const auto ip = Ipv4::parse(v.get<std::string>());
  if (!ip) return false;
  for (const auto b : ip->bytes())
    out.push_back(b);
  return true;
}

bool put_uint(const nlohmann::json& v, int width, std::int64_t lo, std::int64_t hi,
              std::vector<std::uint8_t>& out) {
  std::int64_t n = 0;
  if (v.is_number_integer()) {
    n = v.get<std::int64_t>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return false;
  } else {
    return false;
  }
  if (n < lo || n > hi) return false;
  const auto u = static_cast<std::uint32_t>(n);
  for (int i = width - 1; i >= 0; --i)
    out.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
  return true;
}

std::string type_hint(T t) {
  switch (t) {
    case T::ip:
      return "an IPv4 address such as \"198.18.0.1\"";
    case T::ips:
      return "IPv4 addresses, as an array or \"198.18.0.1,198.18.0.2\"";
    case T::ip_pairs:
      return "an even number of IPv4 addresses (pairs)";
    case T::u8:
      return "a number from 0 to 255";
    case T::u16:
      return "a number from 0 to 65535";
    case T::u32:
      return "a number from 0 to 4294967295";
    case T::i32:
      return "a number from -2147483648 to 2147483647";
    case T::flag:
      return "true or false";
    case T::text:
      return "text of 1 to 255 printable characters";
    case T::u8s:
      return "a list of numbers from 0 to 255";
    case T::u16s:
      return "a list of numbers from 0 to 65535";
    case T::bytes:
      return "hex bytes such as \"0x0a0b0c\"";
  }
  return "a value";
}

}  // namespace

std::span<const OptionDef> option_table() {
  return kTable;
}

const OptionDef* find_option(std::uint8_t code) {
  const auto it =
      std::find_if(kTable.begin(), kTable.end(), [code](const OptionDef& d) { return d.code == code; });
  return it == kTable.end() ? nullptr : &*it;
}

const OptionDef* find_option(std::string_view name) {
  const auto it =
      std::find_if(kTable.begin(), kTable.end(), [name](const OptionDef& d) { return d.name == name; });
  return it == kTable.end() ? nullptr : &*it;
}

std::string_view option_type_name(OptionType t) {
  static constexpr std::array<std::string_view, 12> kNames{"ip",  "ips",  "ip_pairs", "u8",  "u16",  "u32",
                                                           "i32", "flag", "text",     "u8s", "u16s", "bytes"};
  return kNames[static_cast<std::size_t>(t)];
}

std::optional<std::uint8_t> option_code(std::string_view key, std::string& why) {
  if (!key.empty() && key.front() >= '0' && key.front() <= '9') {
    unsigned code = 0;
    const auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), code);
    if (ec != std::errc{} || p != key.data() + key.size() || code < 1 || code > 254) {
      why = "option code must be 1 to 254";
      return std::nullopt;
    }
    return static_cast<std::uint8_t>(code);
  }
  if (const OptionDef* d = find_option(key)) return d->code;
  why = "is not an option name or code (see RFC 2132; e.g. \"17\" or \"root-path\")";
  return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> encode_option_value(std::uint8_t code, const nlohmann::json& value,
                                                             std::string& why) {
  const OptionDef* def = find_option(code);
  if (def != nullptr && def->managed) {
    why = "is set by the server from the protocol and cannot be configured";
    return std::nullopt;
  }
  const OptionDef& d = def != nullptr ? *def : kUnknown;
  // Raw hex is accepted for any type (bootptab's T-tags are written so) when the bytes fit it.
  if (d.type != T::text && d.type != T::bytes && value.is_string() &&
      (value.get<std::string>().starts_with("0x") || value.get<std::string>().starts_with("0X"))) {
    auto raw = from_hex(value.get<std::string>());
    if (raw && !raw->empty() && raw->size() <= 255) {
      const auto canonical = decode_option_value(code, *raw);
      if (!(canonical.is_string() && canonical.get<std::string>().starts_with("0x"))) return raw;
    }
    why = "must be " + type_hint(d.type) + " (hex bytes of that shape also do)";
    return std::nullopt;
  }
  std::vector<std::uint8_t> out;
  bool ok = true;
  switch (d.type) {
    case T::ip:
      ok = put_ip(value, out);
      break;
    case T::ips:
    case T::ip_pairs: {
      const auto items = items_of(value);
      for (const auto& i : items)
        ok = ok && put_ip(i, out);
      ok = ok && !items.empty() && (d.type == T::ips || items.size() % 2 == 0);
      break;
    }
    case T::u8:
      ok = put_uint(value, 1, 0, 0xFF, out);
      break;
    case T::u16:
      ok = put_uint(value, 2, 0, 0xFFFF, out);
      break;
    case T::u32:
      ok = put_uint(value, 4, 0, 0xFFFF'FFFFll, out);
      break;
    case T::i32:
      ok = put_uint(value, 4, std::numeric_limits<std::int32_t>::min(),
                    std::numeric_limits<std::int32_t>::max(), out);
      break;
    case T::flag: {
      // true/false, and the 1/0 that older configurations (bootptab) write.
      std::string word;
      if (value.is_boolean()) word = value.get<bool>() ? "true" : "false";
      if (value.is_number_integer()) word = std::to_string(value.get<std::int64_t>());
      if (value.is_string()) word = value.get<std::string>();
      const bool on = word == "true" || word == "1";
      const bool off = word == "false" || word == "0";
      ok = on || off;
      if (ok) out.push_back(on ? 1 : 0);
      break;
    }
    case T::text: {
      ok = value.is_string();
      if (!ok) break;
      const std::string s = value.get<std::string>();
      ok = !s.empty() && s.size() <= 255 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
      out.assign(s.begin(), s.end());
      break;
    }
    case T::u8s:
    case T::u16s: {
      const auto items = items_of(value);
      const int width = d.type == T::u8s ? 1 : 2;
      for (const auto& i : items)
        ok = ok && put_uint(i, width, 0, width == 1 ? 0xFF : 0xFFFF, out);
      ok = ok && !items.empty();
      break;
    }
    case T::bytes: {
      ok = value.is_string();
      if (!ok) break;
      auto b = from_hex(value.get<std::string>());
      ok = b.has_value() && !b->empty();
      if (ok) out = std::move(*b);
      break;
    }
  }
  if (ok && out.size() > 255) {
    why = "is longer than 255 bytes on the wire";
    return std::nullopt;
  }
  if (!ok) {
    why = "must be " + type_hint(d.type);
    return std::nullopt;
  }
  return out;
}

nlohmann::json decode_option_value(std::uint8_t code, std::span<const std::uint8_t> b) {
  const OptionDef* def = find_option(code);
  const T type = def != nullptr ? def->type : T::bytes;
  const auto uint_at = [&](std::size_t pos, std::size_t width) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < width; ++i)
      v = (v << 8) | b[pos + i];
    return v;
  };
  const auto ip_at = [&](std::size_t pos) { return Ipv4(uint_at(pos, 4)).str(); };
  switch (type) {
    case T::ip:
      if (b.size() == 4) return ip_at(0);
      break;
    case T::ips:
    case T::ip_pairs:
      if (!b.empty() && b.size() % (type == T::ips ? 4 : 8) == 0) {
        nlohmann::json arr = nlohmann::json::array();
        for (std::size_t i = 0; i < b.size(); i += 4)
          arr.push_back(ip_at(i));
        return arr;
      }
      break;
    case T::u8:
      if (b.size() == 1) return b[0];
      break;
    case T::u16:
      if (b.size() == 2) return uint_at(0, 2);
      break;
    case T::u32:
      if (b.size() == 4) return uint_at(0, 4);
      break;
    case T::i32:
      if (b.size() == 4) return static_cast<std::int32_t>(uint_at(0, 4));
      break;
    case T::flag:
      if (b.size() == 1 && b[0] <= 1) return b[0] == 1;
      break;
    case T::text:
      if (std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7f; })) {
        return std::string(b.begin(), b.end());
      }
      break;
    case T::u8s: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto v : b)
        arr.push_back(v);
      return arr;
    }
    case T::u16s:
      if (b.size() % 2 == 0) {
        nlohmann::json arr = nlohmann::json::array();
        for (std::size_t i = 0; i < b.size(); i += 2)
          arr.push_back(uint_at(i, 2));
        return arr;
      }
      break;
    case T::bytes:
      break;
  }
  return prefixed_hex(b);
}

}  // namespace bk::db
