#include "db/legacy_import.hpp"

#include "db/names.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/ipv4.hpp"
#include "db/mac.hpp"
#include "db/option_table.hpp"

namespace bk::db {
namespace {

using Json = nlohmann::ordered_json;

// ------------------------------------------------------------------------------------------
// Text helpers. Hand-written rather than <cctype> so the result never depends on the locale.

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_hex(char c) {
  return is_digit(c) || (to_lower(c) >= 'a' && to_lower(c) <= 'f');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = to_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return to_lower(x) == to_lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

bool all_chars(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

bool is_digit_or_dot(char c) {
  return is_digit(c) || c == '.';
}
bool is_hostname_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
}

// Lines without their terminator (and without the '\r' of CRLF files). Line n is index n - 1.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// Removes double quotes and resolves backslash escapes: how both bootpd and dnsmasq read values.
std::string unquote(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') continue;
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

std::string quote_text(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// ------------------------------------------------------------------------------------------
// Networks. Addresses are read by Ipv4::parse alone: bootpd would also take octal, hex and short
// forms, and host names; those are rare enough to be reported rather than guessed at.

// Both programs take a missing mask from the interface, which the file does not say.
constexpr Ipv4 kDefaultMask = Ipv4::from_bytes(255, 255, 255, 0);

// The smallest network of /24 or wider holding both addresses.
Cidr network_holding(Ipv4 a, Ipv4 b) {
  Ipv4 mask = kDefaultMask;
  while (!Cidr::from_mask(a, mask)->contains(b))
    mask = Ipv4(mask.value() << 1);
  return *Cidr::from_mask(a, mask);
}

// "net-198-18-0-0-24": a valid name everywhere a name is accepted.
std::string subnet_name(const Cidr& net) {
  std::string n = "net-" + net.str();
  for (char& c : n) {
    if (c == '.' || c == '/') c = '-';
  }
  return n;
}

// ------------------------------------------------------------------------------------------
// Images.

std::string_view base_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string image_kind(std::string_view boot_file) {
  const std::string name = lowercase(base_name(boot_file));
  if (name.find("pxelinux") != std::string::npos) return "pxelinux";  // also lpxelinux.0
  if (iends_with(name, ".ipxe") || iends_with(name, ".kpxe") || iends_with(name, ".kkpxe") ||
      name.find("undionly") != std::string::npos) {
    return "ipxe";
  }
  if (iends_with(name, ".efi")) return "efi";
  return "raw";
}

// Boot files are relative to the TFTP root in Bootkeeper: "/boot//x86/" + "pxelinux.0" ->
// "boot/x86/pxelinux.0".
std::string relative_path(std::string_view path) {
  std::string out;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    if (!part.empty()) {
      if (!out.empty()) out.push_back('/');
      out.append(part);
    }
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Hands out "name", then "name-2", "name-3"... so that different images never share a name.
class UniqueNames {
 public:
  std::string claim(const std::string& base) {
    if (used_.insert(base).second) return base;
    for (int n = 2;; ++n) {
      std::string candidate = base + "-" + std::to_string(n);
      if (used_.insert(candidate).second) return candidate;
    }
  }

 private:
  std::set<std::string> used_;
};

// ------------------------------------------------------------------------------------------
// Problems: the same fault reached through a shared template or a global option is reported once.

class Problems {
 public:
  void add(int line, std::string message) {
    if (seen_.emplace(line, message).second) list_.push_back({line, std::move(message)});
  }
  std::vector<LegacyProblem> take() {
    std::stable_sort(list_.begin(), list_.end(),
                     [](const LegacyProblem& a, const LegacyProblem& b) { return a.line < b.line; });
    return std::move(list_);
  }

 private:
  std::set<std::pair<int, std::string>> seen_;
  std::vector<LegacyProblem> list_;
};

// Old configuration files are often Latin-1. A string that is not UTF-8 would make the document
// impossible to serialise, so such a line is reported and read as blank (numbering unchanged).
std::string utf8_lines_only(std::string_view text, Problems& problems) {
  if (is_valid_utf8(text)) return std::string(text);
  std::string out;
  const std::vector<std::string_view> lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (is_valid_utf8(lines[i])) {
      out.append(lines[i]);
    } else {
      problems.add(static_cast<int>(i) + 1,
                   "not UTF-8 text; line ignored (convert the file, e.g. iconv -f latin1)");
    }
    out.push_back('\n');
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// The document both converters fill in, and its JSON form.

using OptionMap = std::map<int, Json>;  // RFC 2132 code -> value; std::map keeps codes sorted

Json address_array(const std::vector<Ipv4>& addresses) {
  Json arr = Json::array();
  for (const Ipv4 a : addresses)
    arr.push_back(a.str());
  return arr;
}

Json options_json(const OptionMap& options) {
  Json obj = Json::object();
  for (const auto& [code, value] : options)
    obj[std::to_string(code)] = value;
  return obj;
}

struct SubnetOut {
  Cidr net;
  std::optional<Ipv4> gateway;
  std::vector<Ipv4> dns;
  std::string domain;
  std::optional<Ipv4> next_server;
  std::optional<std::pair<Ipv4, Ipv4>> pool;
  std::string default_image;
  OptionMap options;
};

struct ImageOut {
  std::string name;
  std::string boot_file;
  std::string root_path;
};

struct MachineOut {
  Mac mac;
  std::string hostname;
  Ipv4 ip;
  std::string image;
  std::string group;
  OptionMap options;
};

struct Document {
  std::vector<SubnetOut> subnets;
  std::vector<ImageOut> images;
  std::vector<MachineOut> machines;

  std::size_t subnet_index(const Cidr& net) {
    for (std::size_t i = 0; i < subnets.size(); ++i) {
      if (subnets[i].net == net) return i;
    }
    SubnetOut added;
    added.net = net;
    subnets.push_back(std::move(added));
    return subnets.size() - 1;
  }

  // The most specific subnet holding `ip`, if any.
  std::optional<std::size_t> subnet_containing(Ipv4 ip) const {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < subnets.size(); ++i) {
      if (subnets[i].net.contains(ip) && (!best || subnets[i].net.prefix() > subnets[*best].net.prefix())) {
        best = i;
      }
    }
    return best;
  }

  Json to_json() const {
    Json doc = Json::object();
    doc["subnets"] = Json::array();
    for (const SubnetOut& s : subnets) {
      Json j = Json::object();
      j["name"] = subnet_name(s.net);
      j["network"] = s.net.str();
      if (s.gateway) j["gateway"] = s.gateway->str();
      if (!s.dns.empty()) j["dns"] = address_array(s.dns);
      if (!s.domain.empty()) j["domain"] = s.domain;
      if (s.next_server) j["next_server"] = s.next_server->str();
      if (s.pool) j["pool"] = Json{{"start", s.pool->first.str()}, {"end", s.pool->second.str()}};
      if (!s.default_image.empty()) j["default_image"] = s.default_image;
      if (!s.options.empty()) j["options"] = options_json(s.options);
      doc["subnets"].push_back(std::move(j));
    }
    doc["images"] = Json::array();
    for (const ImageOut& i : images) {
      Json j = Json::object();
      j["name"] = i.name;
      j["kind"] = image_kind(i.boot_file);
      j["boot_file"] = i.boot_file;
      if (!i.root_path.empty()) j["root_path"] = i.root_path;
      doc["images"].push_back(std::move(j));
    }
    doc["machines"] = Json::array();
    for (const MachineOut& m : machines) {
      Json j = Json::object();
      j["mac"] = m.mac.str();
      j["hostname"] = m.hostname;
      j["ip"] = m.ip.str();
      if (!m.image.empty()) j["image"] = m.image;
      if (!m.group.empty()) j["group"] = m.group;
      j["enabled"] = true;
      if (!m.options.empty()) j["options"] = options_json(m.options);
      doc["machines"].push_back(std::move(j));
    }
    return doc;
  }
};

// ==========================================================================================
// bootptab

// One ':'-separated field of an entry as written (quotes and escapes kept), and its line.
struct Field {
  std::string text;
  int line = 0;
};

struct RawEntry {
  int line = 0;  // where the entry starts
  std::vector<Field> fields;
};

// Splits one logical entry at the colons that are neither quoted nor escaped. `line_of[i]` is
// the source line of `chars[i]`, so each field can name the line it starts on.
RawEntry split_entry(const std::string& chars, const std::vector<int>& line_of, int entry_line) {
  RawEntry entry{.line = entry_line, .fields = {}};
  Field current;
  bool in_quotes = false;
  const auto flush = [&] {
    current.text = std::string(trim(current.text));
    if (!current.text.empty() || entry.fields.empty()) entry.fields.push_back(current);
    current = Field{};
  };
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const char c = chars[i];
    if (c == ':' && !in_quotes) {
      flush();
      continue;
    }
    if (current.line == 0 && !is_space(c)) current.line = line_of[i];
    current.text.push_back(c);
    if (c == '"') {
      in_quotes = !in_quotes;
    } else if (c == '\\' && i + 1 < chars.size()) {
      current.text.push_back(chars[++i]);  // an escaped character is never a separator
    }
  }
  flush();
  for (Field& f : entry.fields) {
    if (f.line == 0) f.line = entry_line;
  }
  return entry;
}

bool ends_in_continuation(std::string_view line) {
  std::size_t backslashes = 0;
  while (backslashes < line.size() && line[line.size() - 1 - backslashes] == '\\')
    ++backslashes;
  return backslashes % 2 == 1;  // "\\" at the end is an escaped backslash, not a continuation
}

std::vector<RawEntry> read_entries(std::string_view text) {
  std::vector<RawEntry> entries;
  std::string chars;
  std::vector<int> line_of;
  int entry_line = 0;
  bool continuing = false;
  const std::vector<std::string_view> lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int line_no = static_cast<int>(i) + 1;
    // Trailing blanks after the backslash are forgiven: the intent is plain and invisible.
    std::string_view body = trim(lines[i]);
    // bootpd skips blank and comment lines between entries and also after a continuation.
    if (body.empty() || body.front() == '#') continue;
    if (!continuing) entry_line = line_no;
    continuing = ends_in_continuation(body);
    if (continuing) body.remove_suffix(1);
    for (const char c : body) {
      chars.push_back(c);
      line_of.push_back(line_no);
    }
    // bootpd keeps the newline of a continuation inside a value, where it reads as a blank.
    chars.push_back(' ');
    line_of.push_back(line_no);
    if (!continuing) {
      entries.push_back(split_entry(chars, line_of, entry_line));
      chars.clear();
      line_of.clear();
    }
  }
  if (!chars.empty()) entries.push_back(split_entry(chars, line_of, entry_line));
  return entries;
}

// The value of one tag after templates: `raw` as written (quotes kept), or a boolean tag (":hn:").
struct TagValue {
  std::string raw;
  bool boolean = false;
  int line = 0;
};
using Tags = std::map<std::string, TagValue, std::less<>>;  // "ip", "T17", ...

constexpr auto kBootpTags =
    std::to_array<std::string_view>({"bf", "bs", "cs", "df", "dl", "dn", "ds", "ef", "ex", "gw", "ha", "hd",
                                     "hn", "ht", "im", "ip", "lg", "lp", "ms", "mw", "ns", "nt", "ra", "rl",
                                     "rp", "sa", "sm", "sw", "tc", "td", "to", "ts", "vm", "yd", "ys"});

bool is_bootp_tag(std::string_view tag) {
  return std::find(kBootpTags.begin(), kBootpTags.end(), tag) != kBootpTags.end();
}

// bootpd accepts ":hn:" and, meaning "auto", ":to:" and ":bs:"; every other tag needs a value.
bool may_be_boolean(std::string_view tag) {
  return tag == "hn" || tag == "to" || tag == "bs";
}

bool is_hex_pair(std::string_view s) {
  return s.size() == 2 && is_hex(s[0]) && is_hex(s[1]);
}

struct HostEntry {
  std::string name;
  int line = 0;
  Tags tags;
  std::string group;
};

// Applies every field of every entry, as bootpd's readtab() does, and returns the machines.
std::vector<HostEntry> resolve_entries(const std::vector<RawEntry>& entries, Problems& problems) {
  std::map<std::string, Tags> earlier;  // entries seen so far, by name, for tc=
  std::vector<HostEntry> hosts;
  for (const RawEntry& entry : entries) {
    HostEntry host{.name = unquote(entry.fields.front().text), .line = entry.line, .tags = {}, .group = {}};
    if (host.name.empty()) {
      problems.add(entry.line, "entry has no name (does a previous line lack its trailing '\\'?)");
      continue;
    }
    const std::vector<Field>& fields = entry.fields;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      const Field& f = fields[i];
      const std::string_view text = f.text;
      std::string key;
      std::string_view rest;
      if (text.size() >= 2 && text[0] == 'T' && is_digit(text[1])) {
        // Generic tag Tn: an RFC 2132 option given as data.
        std::size_t len = 1;
        int code = 0;
        while (len < text.size() && is_digit(text[len]) && code <= 255)
          code = code * 10 + (text[len++] - '0');
        if (code < 1 || code > 254) {
          problems.add(f.line,
                       "generic tag " + quote_text(text.substr(0, len)) + ": option code must be 1 to 254");
          continue;
        }
        key = "T" + std::to_string(code);
        rest = trim(text.substr(len));
        if (rest.empty()) {
          problems.add(f.line, key + " needs a value: \"quoted text\" or hex bytes such as 0x0102");
          continue;
        }
      } else {
        key = std::string(text.substr(0, 2));
        rest = trim(text.substr(std::min<std::size_t>(2, text.size())));
        if (!is_bootp_tag(key)) {
          problems.add(f.line, "unknown tag " + quote_text(text.substr(0, 2)) + " in " + quote_text(text));
          continue;
        }
      }
      if (rest.empty()) {
        if (!may_be_boolean(key)) {
          problems.add(f.line, quote_text(key) + " needs a value (" + key + "=...)");
          continue;
        }
        host.tags[key] = TagValue{.raw = {}, .boolean = true, .line = f.line};
      } else if (rest == "@") {
        host.tags.erase(key);
      } else if (rest.front() != '=') {
        problems.add(f.line, "cannot read " + quote_text(text) + " (expected tag=value, tag@ or :tag:)");
      } else if (key == "hn") {
        problems.add(f.line, "\"hn\" takes no value (write :hn:)");
      } else if (key == "tc") {
        const std::string target = unquote(trim(rest.substr(1)));
        const auto it = earlier.find(target);
        if (it == earlier.end()) {
          problems.add(f.line,
                       "tc=" + target + ": no earlier entry has that name (templates must come first)");
          continue;
        }
        // Only what this entry lacks at this point; ha and ip identify a host, so never copied.
        for (const auto& [tag, value] : it->second) {
          if (tag != "ha" && tag != "ip") host.tags.emplace(tag, value);
        }
        if (host.group.empty() && target.size() > 1 && target.front() == '.') host.group = target.substr(1);
      } else {
        std::string value(trim(rest.substr(1)));
        // ha=52:54:00:12:34:56 unquoted: bootpd ends the tag at the first ':', but the intent
        // is plain, so the five following two-digit fields are taken back into the address.
        if (key == "ha" && is_hex_pair(value) && i + 5 < fields.size() &&
            std::all_of(fields.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                        fields.begin() + static_cast<std::ptrdiff_t>(i) + 6,
                        [](const Field& next) { return is_hex_pair(next.text); })) {
          for (std::size_t k = 1; k <= 5; ++k)
            value += ":" + fields[i + k].text;
          i += 5;
        }
        host.tags[key] = TagValue{.raw = std::move(value), .boolean = false, .line = f.line};
      }
    }
    earlier[host.name] = host.tags;
    if (host.name.front() != '.') hosts.push_back(std::move(host));
  }
  return hosts;
}

// bootpd's hex bytes (ha=, Tn=): two hex digits each, each optionally after one of `separators`
// (not before the first) and an "0x". The digits come back in lower case.
std::optional<std::string> bootp_hex(std::string_view s, std::string_view separators) {
  std::string digits;
  while (!s.empty()) {
    if (!digits.empty() && separators.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
    if (istarts_with(s, "0x")) s.remove_prefix(2);
    if (s.size() < 2 || !is_hex_pair(s.substr(0, 2))) return std::nullopt;
    digits.push_back(to_lower(s[0]));
    digits.push_back(to_lower(s[1]));
    s.remove_prefix(2);
  }
  if (digits.empty()) return std::nullopt;
  return digits;
}

// "52:54:00:12:34:56", "525400123456", "0x525400123456", "52.54.00.12.34.56".
std::optional<Mac> parse_bootp_mac(std::string_view s) {
  const auto digits = bootp_hex(s, ".:");
  return digits ? Mac::parse(*digits) : std::nullopt;
}

// bootpd's hardware type names for Ethernet; any other type cannot be served by Bootkeeper.
bool is_ethernet_type(std::string_view s) {
  return iequals(s, "ethernet") || iequals(s, "ether") || s == "1" || s == "01" || iequals(s, "0x1") ||
         iequals(s, "0x01");
}

// Tn data: "quoted text", or hex bytes (bootpd's process_generic), written as "0x..".
std::optional<std::string> generic_value(std::string_view raw) {
  if (!raw.empty() && raw.front() == '"') return unquote(raw);
  const auto digits = bootp_hex(raw, ".");
  return digits ? "0x" + *digits : std::optional<std::string>();
}

// Address lists are separated by blanks or commas, as bootpd's get_addresses() reads them.
std::optional<std::vector<Ipv4>> parse_address_list(std::string_view tag, const TagValue& v,
                                                    Problems& problems) {
  std::vector<Ipv4> out;
  std::string token;
  const std::string text = unquote(v.raw) + " ";
  for (const char c : text) {
    if (!is_space(c) && c != ',') {
      token.push_back(c);
      continue;
    }
    if (token.empty()) continue;
    const auto a = Ipv4::parse(token);
    if (!a) {
      problems.add(v.line, std::string(tag) + ": " + quote_text(token) + " is not an IPv4 address" +
                               (is_alpha(token.front()) ? " (host names are not looked up)" : ""));
      return std::nullopt;
    }
    out.push_back(*a);
    token.clear();
  }
  if (out.empty()) {
    problems.add(v.line, std::string(tag) + " has no address");
    return std::nullopt;
  }
  return out;
}

std::optional<Ipv4> parse_address(std::string_view tag, const TagValue& v, Problems& problems) {
  const auto list = parse_address_list(tag, v, problems);
  if (!list) return std::nullopt;
  if (list->size() != 1) {
    problems.add(v.line, std::string(tag) + " takes one address");
    return std::nullopt;
  }
  return list->front();
}

// bootpd tags that carry an RFC 2132 option for the client; option_table() says how each is read.
struct OptionTag {
  std::string_view tag;
  std::uint8_t code;
};
constexpr auto kOptionTags = std::to_array<OptionTag>({
    {"to", 2},
    {"ts", 4},
    {"ns", 5},
    {"lg", 7},
    {"cs", 8},
    {"lp", 9},
    {"im", 10},
    {"rl", 11},
    {"df", 14},
    {"sw", 16},
    {"ef", 18},
    {"yd", 40},
    {"ys", 41},
    {"nt", 42},
});

bool is_signed_decimal(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  return all_chars(s, is_digit);
}

// A host that passed every check, before it is placed in a subnet.
struct BootpHost {
  MachineOut machine;
  std::optional<Cidr> net;  // from sm=
  // What the host said about values that Bootkeeper keeps per subnet.
  std::optional<std::vector<Ipv4>> gw;
  std::optional<std::vector<Ipv4>> ds;
  std::optional<std::string> dn;
  std::optional<Ipv4> sa;
  int sa_line = 0;
};

// Checks one resolved entry and turns it into a machine; nullopt (with a problem) when the host
// cannot be registered. Images are created here, so they appear in file order.
std::optional<BootpHost> convert_host(
    const HostEntry& host, Document& doc, UniqueNames& image_names,
    std::map<std::pair<std::string, std::string>, std::string>& image_by_key, Problems& problems) {
  const auto tag = [&](std::string_view name) -> const TagValue* {
    const auto it = host.tags.find(name);
    return it == host.tags.end() ? nullptr : &it->second;
  };
  const std::string who = "host " + quote_text(host.name);

  if (const TagValue* ht = tag("ht"); ht != nullptr && !is_ethernet_type(unquote(ht->raw))) {
    problems.add(ht->line, who + ": hardware type " + quote_text(unquote(ht->raw)) +
                               " is not supported (only ethernet); host skipped");
    return std::nullopt;
  }
  const TagValue* ha = tag("ha");
  const TagValue* ip_tag = tag("ip");
  if (ha == nullptr) {
    problems.add(host.line, who + " has no hardware address (ha=); host skipped");
    return std::nullopt;
  }
  if (ip_tag == nullptr) {
    problems.add(host.line, who +
                                " has no ip= (bootpd would look the name up; Bootkeeper needs the address "
                                "written); host skipped");
    return std::nullopt;
  }
  const auto mac = parse_bootp_mac(unquote(ha->raw));
  if (!mac) {
    problems.add(ha->line,
                 who + ": " + quote_text(unquote(ha->raw)) + " is not an Ethernet address; host skipped");
    return std::nullopt;
  }
  const auto ip = Ipv4::parse(unquote(ip_tag->raw));
  if (!ip) {
    problems.add(ip_tag->line,
                 who + ": " + quote_text(unquote(ip_tag->raw)) + " is not an IPv4 address; host skipped");
    return std::nullopt;
  }

  BootpHost out;
  out.machine = MachineOut{
      .mac = *mac, .hostname = host.name, .ip = *ip, .image = {}, .group = host.group, .options = {}};
  if (const TagValue* sm = tag("sm")) {
    if (const auto mask = parse_address("sm", *sm, problems)) {
      out.net = Cidr::from_mask(*ip, *mask);
      if (!out.net) problems.add(sm->line, "sm: " + mask->str() + " is not a contiguous netmask; ignored");
    }
  }
  if (const TagValue* v = tag("gw")) out.gw = parse_address_list("gw", *v, problems);
  if (const TagValue* v = tag("ds")) out.ds = parse_address_list("ds", *v, problems);
  if (const TagValue* v = tag("dn")) out.dn = unquote(v->raw);
  if (const TagValue* v = tag("sa")) {
    out.sa = parse_address("sa", *v, problems);
    out.sa_line = v->line;
  }

  MachineOut& machine = out.machine;
  const TagValue* rp = tag("rp");
  const std::string root_path = rp != nullptr ? unquote(rp->raw) : std::string();
  if (const TagValue* bf = tag("bf")) {
    const TagValue* hd = tag("hd");
    const std::string path =
        relative_path((hd != nullptr ? unquote(hd->raw) : std::string()) + "/" + unquote(bf->raw));
    if (path.empty()) {
      problems.add(bf->line, "bf: " + quote_text(unquote(bf->raw)) + " names no file");
    } else {
      auto [it, inserted] = image_by_key.try_emplace({path, root_path});
      if (inserted) {
        it->second = image_names.claim(std::string(base_name(path)));
        doc.images.push_back(ImageOut{.name = it->second, .boot_file = path, .root_path = root_path});
      }
      machine.image = it->second;
    }
  } else if (!root_path.empty()) {
    machine.options[17] = root_path;  // no image to carry it
  }

  for (const OptionTag& ot : kOptionTags) {
    const TagValue* v = tag(ot.tag);
    if (v == nullptr || v->boolean) continue;  // ":to:" means the server's own time zone
    const std::string value = unquote(v->raw);
    const OptionType type = find_option(ot.code)->type;
    if (type == OptionType::ips) {
      if (const auto list = parse_address_list(ot.tag, *v, problems))
        machine.options[ot.code] = address_array(*list);
    } else if (type == OptionType::ip) {
      if (const auto a = parse_address(ot.tag, *v, problems)) machine.options[ot.code] = a->str();
    } else if (type == OptionType::text || is_signed_decimal(value)) {  // text, or i32 as written
      machine.options[ot.code] = value;
    } else if (!iequals(value, "auto")) {  // "auto": the server's own time zone, not in the file
      problems.add(v->line, std::string(ot.tag) + ": " + quote_text(value) + " is not a number of seconds");
    }
  }

  // Generic tags last: what the administrator spelled out as an option wins.
  for (const auto& [key, v] : host.tags) {
    if (key.front() != 'T') continue;
    if (const auto value = generic_value(v.raw)) {
      machine.options[std::stoi(key.substr(1))] = *value;
    } else {
      problems.add(v.line, key + ": " + quote_text(v.raw) + " is neither \"quoted text\" nor hex bytes");
    }
  }
  return out;
}

}  // namespace

LegacyResult convert_bootptab(std::string_view text) {
  Problems problems;
  Document doc;
  UniqueNames image_names;
  std::map<std::pair<std::string, std::string>, std::string> image_by_key;  // (boot file, rp) -> name
  std::map<Mac, std::string> host_by_mac;
  std::vector<BootpHost> hosts;
  const std::string utf8_text = utf8_lines_only(text, problems);
  for (const HostEntry& entry : resolve_entries(read_entries(utf8_text), problems)) {
    std::optional<BootpHost> host = convert_host(entry, doc, image_names, image_by_key, problems);
    if (!host) continue;
    if (const auto [it, inserted] = host_by_mac.emplace(host->machine.mac, entry.name); !inserted) {
      // bootpd keeps the first entry for a hardware address and drops the others.
      problems.add(entry.tags.find("ha")->second.line,
                   "host " + quote_text(entry.name) + ": " + host->machine.mac.str() +
                       " is already the address of " + quote_text(it->second) + "; host skipped");
      continue;
    }
    hosts.push_back(std::move(*host));
  }

  // Each host's network: from its sm; without sm, that of a host with sm holding its address
  // (bootpd would take the mask of the interface), else its /24.
  std::vector<Cidr> networks;
  for (const BootpHost& h : hosts) {
    if (h.net) networks.push_back(*h.net);
  }
  std::vector<std::size_t> machine_subnet;
  for (BootpHost& h : hosts) {
    Cidr net = h.net.value_or(network_holding(h.machine.ip, h.machine.ip));
    if (!h.net) {
      int best = -1;
      for (const Cidr& n : networks) {
        if (n.contains(h.machine.ip) && n.prefix() > best) {
          net = n;
          best = n.prefix();
        }
      }
    }
    // The subnet takes each value from the first of its hosts that has it.
    const std::size_t si = doc.subnet_index(net);
    SubnetOut& subnet = doc.subnets[si];
    if (!subnet.gateway && h.gw) subnet.gateway = h.gw->front();
    if (subnet.dns.empty() && h.ds) subnet.dns = *h.ds;
    if (subnet.domain.empty() && h.dn) subnet.domain = *h.dn;
    if (!subnet.next_server && h.sa) subnet.next_server = h.sa;
    machine_subnet.push_back(si);
  }

  // Now that each subnet has its values, a host that said something else keeps it as options.
  for (std::size_t m = 0; m < hosts.size(); ++m) {
    BootpHost& h = hosts[m];
    MachineOut& machine = h.machine;
    const SubnetOut& subnet = doc.subnets[machine_subnet[m]];
    if (h.gw && !(h.gw->size() == 1 && h.gw->front() == subnet.gateway)) {
      machine.options.try_emplace(3, address_array(*h.gw));
    }
    if (h.ds && *h.ds != subnet.dns) machine.options.try_emplace(6, address_array(*h.ds));
    if (h.dn && *h.dn != subnet.domain) machine.options.try_emplace(15, *h.dn);
    if (h.sa && h.sa != subnet.next_server) {
      problems.add(h.sa_line, "host " + quote_text(machine.hostname) + ": sa=" + h.sa->str() +
                                  " differs from next_server " + subnet.next_server->str() + " of " +
                                  subnet_name(subnet.net) + "; Bootkeeper has one TFTP server per subnet");
    }
    doc.machines.push_back(std::move(machine));
  }

  return LegacyResult{.document = doc.to_json(), .problems = problems.take()};
}

// ==========================================================================================
// dnsmasq

namespace {

// dnsmasq's DHCPv4 option names (`dnsmasq --help dhcp`) that option_table() spells differently
// or lacks; the others are the same in both.
constexpr auto kDnsmasqOptionNames = std::to_array<std::pair<std::string_view, int>>({
    {"netmask", 1},
    {"dns-server", 6},
    {"hostname", 12},
    {"extension-path", 18},
    {"ip-forward-enable", 19},
    {"default-ttl", 23},
    {"mtu", 26},
    {"broadcast", 28},
    {"router-solicitation", 32},
    {"static-route", 33},
    {"arp-timeout", 35},
    {"ethernet-encap", 36},
    {"tcp-ttl", 37},
    {"tcp-keepalive", 38},
    {"nis-server", 41},
    {"ntp-server", 42},
    {"vendor-encap", 43},
    {"netbios-ns", 44},
    {"netbios-dd", 45},
    {"netbios-nodetype", 46},
    {"x-windows-fs", 48},
    {"x-windows-dm", 49},
    {"T1", 58},
    {"T2", 59},
    {"vendor-class", 60},
    {"nis+-domain", 64},
    {"nis+-server", 65},
    {"tftp-server", 66},
    {"mobile-ip-home", 68},
    {"client-interface-id", 94},
    {"client-machine-id", 97},
    {"posix-timezone", 100},
    {"tzdb-timezone", 101},
    {"sip-server", 120},
    {"vendor-id-encap", 125},
    {"server-ip-address", 255},  // not an option: the siaddr field, which becomes next_server
});

// The code of an option name after "option:", in any case: dnsmasq's spelling or ours.
std::optional<int> dnsmasq_option_code(std::string_view name) {
  for (const auto& [dnsmasq_name, code] : kDnsmasqOptionNames) {
    if (iequals(dnsmasq_name, name)) return code;
  }
  if (const OptionDef* def = find_option(lowercase(name))) return def->code;
  return std::nullopt;
}

// Cuts a '#' comment: at the start of the line or after a blank, outside quotes (dnsmasq's rule).
std::string_view strip_comment(std::string_view line) {
  bool in_quotes = false;
  bool after_blank = true;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') in_quotes = !in_quotes;
    if (c == '#' && !in_quotes && after_blank) return line.substr(0, i);
    after_blank = is_space(c);
  }
  return line;
}

// Splits at commas outside quotes; elements come back trimmed and unquoted.
std::vector<std::string> split_elements(std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  bool in_quotes = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == ',' && !in_quotes) {
      out.push_back(unquote(trim(current)));
      current.clear();
      continue;
    }
    if (c == '"') in_quotes = !in_quotes;
    current.push_back(c);
    if (c == '\\' && i + 1 < value.size()) current.push_back(value[++i]);
  }
  out.push_back(unquote(trim(current)));
  return out;
}

// "12h", "45m", "3600", "infinite": a lease time, meaningless for BOOTP's permanent addresses.
bool is_lease_time(std::string_view s) {
  if (iequals(s, "infinite") || iequals(s, "deprecated")) return true;
  if (!s.empty() && std::string_view("smhdwSMHDW").find(s.back()) != std::string_view::npos)
    s.remove_suffix(1);
  return all_chars(s, is_digit);
}

std::string_view after_prefix(std::string_view s, std::size_t n) {
  return s.substr(n);
}

// The conditions of a line: positive tags (tag:x, net:x). Negated ones (tag:!x) are dropped:
// nothing in Bootkeeper could set them, so the line applies as if they were absent.
struct Scope {
  std::vector<std::string> tags;
};

// Consumes leading "tag:"/"net:" elements; returns the index of the first other element.
std::size_t read_scope(const std::vector<std::string>& elems, Scope& scope) {
  std::size_t i = 0;
  while (i < elems.size() && (istarts_with(elems[i], "tag:") || istarts_with(elems[i], "net:"))) {
    const std::string tag(after_prefix(elems[i], 4));
    if (!tag.empty() && tag.front() != '!') scope.tags.push_back(tag);
    ++i;
  }
  return i;
}

struct RangeLine {
  int line = 0;
  Cidr net;
  std::optional<std::pair<Ipv4, Ipv4>> pool;
  std::vector<std::string> set_tags;
};

struct HostLine {
  int line = 0;
  Mac mac;
  Ipv4 ip;
  std::string hostname;
  std::vector<std::string> set_tags;
};

struct OptionLine {
  int line = 0;
  Scope scope;
  int code = 0;
  Json value;  // null: the option is switched off ("dhcp-option=3")
};

struct BootLine {
  int line = 0;
  Scope scope;
  std::string file;
  std::optional<Ipv4> server;
};

struct DomainLine {
  int line = 0;
  std::string name;
  std::optional<Ipv4> within;  // an address of the subnets it is for; none: all
};

struct DnsmasqLines {
  std::vector<RangeLine> ranges;
  std::vector<HostLine> hosts;
  std::vector<OptionLine> options;
  std::vector<BootLine> boots;
  std::vector<DomainLine> domains;
};

void read_range(int line, std::string_view value, DnsmasqLines& out, Problems& problems) {
  const std::vector<std::string> e = split_elements(value);
  RangeLine range{.line = line, .net = {}, .pool = {}, .set_tags = {}};
  std::size_t i = 0;
  for (; i < e.size(); ++i) {
    if (istarts_with(e[i], "tag:")) continue;  // which interface or relay it serves: not needed
    if (istarts_with(e[i], "set:") || istarts_with(e[i], "net:")) {
      range.set_tags.emplace_back(after_prefix(e[i], 4));
    } else if (!e[i].empty() && !all_chars(e[i], is_digit_or_dot) && e[i].find(':') == std::string::npos &&
               i + 1 < e.size()) {
      range.set_tags.push_back(e[i]);  // old syntax: a bare network id before the start address
    } else {
      break;
    }
  }
  if (i >= e.size() || e[i].empty()) {
    problems.add(line, "dhcp-range has no start address; skipped");
    return;
  }
  if (e[i].find(':') != std::string::npos) {
    problems.add(line, "dhcp-range " + quote_text(e[i]) + ": IPv6 ranges are not supported; skipped");
    return;
  }
  const auto start = Ipv4::parse(e[i]);
  if (!start) {
    problems.add(line, "dhcp-range: " + quote_text(e[i]) + " is not an IPv4 address; skipped");
    return;
  }
  ++i;
  // After the start: the end address, or "static" for a subnet served to fixed hosts only.
  const bool is_static = i < e.size() && iequals(e[i], "static");
  const std::optional<Ipv4> end = i < e.size() && !is_static ? Ipv4::parse(e[i]) : std::nullopt;
  if (!is_static && !end) {
    const std::string what = i < e.size() ? quote_text(e[i]) : std::string("nothing");
    problems.add(line, "dhcp-range: expected an end address or \"static\" after the start, found " + what +
                           " (proxy and IPv6 modes are not supported); skipped");
    return;
  }
  ++i;
  std::optional<Ipv4> mask;
  if (i < e.size() && (mask = Ipv4::parse(e[i]))) ++i;
  if (i < e.size() && Ipv4::parse(e[i])) ++i;    // broadcast address: implied by the network
  if (i < e.size() && is_lease_time(e[i])) ++i;  // leases do not exist in BOOTP
  if (i < e.size()) problems.add(line, "dhcp-range: cannot read " + quote_text(e[i]) + "; ignored");

  // Without a mask (it would come from the interface), the smallest network that holds the range.
  const std::optional<Cidr> net =
      mask ? Cidr::from_mask(*start, *mask) : network_holding(*start, end.value_or(*start));
  if (!net) {
    problems.add(line, "dhcp-range: " + mask->str() + " is not a contiguous netmask; skipped");
    return;
  }
  range.net = *net;
  if (end) {
    if (*end < *start || !range.net.contains(*end)) {
      problems.add(line, "dhcp-range: " + start->str() + " to " + end->str() + " is not a range inside " +
                             range.net.str() + "; skipped");
      return;
    }
    range.pool = std::make_pair(*start, *end);
  }
  out.ranges.push_back(std::move(range));
}

// A MAC as dnsmasq writes it: optionally after a hardware type ("1-52:54:.."), with one-digit
// groups ("52:54:0:..") and '*' for any byte.
enum class MacForm { exact, wildcard, not_ethernet, invalid };
MacForm parse_dnsmasq_mac(std::string_view s, Mac& mac) {
  if (const std::size_t dash = s.find('-'); dash != std::string_view::npos && dash < s.find(':')) {
    const std::string_view type = s.substr(0, dash);
    if (type != "1" && type != "01")
      return all_chars(type, is_digit) ? MacForm::not_ethernet : MacForm::invalid;
    s.remove_prefix(dash + 1);
  }
  // Normalised to the 52:54:00:12:34:56 form, which Mac::parse checks.
  std::string text;
  bool wildcard = false;
  for (std::size_t start = 0; start <= s.size();) {
    const std::size_t end = std::min(s.find(':', start), s.size());
    std::string_view group = s.substr(start, end - start);
    if (group == "*") {
      wildcard = true;
      group = "00";
    }
    if (start > 0) text.push_back(':');
    if (group.size() == 1) text.push_back('0');
    text.append(group);
    start = end + 1;
  }
  const std::optional<Mac> parsed = Mac::parse(text);
  if (!parsed) return MacForm::invalid;
  if (wildcard) return MacForm::wildcard;
  mac = *parsed;
  return MacForm::exact;
}

void read_host(int line, std::string_view value, DnsmasqLines& out, Problems& problems) {
  const std::vector<std::string> e = split_elements(value);
  // dnsmasq refuses these clients: there is nothing to register.
  if (std::any_of(e.begin(), e.end(), [](const std::string& x) { return iequals(x, "ignore"); })) return;

  HostLine host{.line = line, .mac = {}, .ip = {}, .hostname = {}, .set_tags = {}};
  std::optional<Ipv4> ip;
  std::vector<Mac> macs;
  bool mac_reported = false;
  bool by_client_id = false;
  for (const std::string& x : e) {
    if (x.empty() || is_lease_time(x) || istarts_with(x, "tag:")) continue;
    if (istarts_with(x, "id:")) {
      by_client_id = true;
    } else if (istarts_with(x, "set:") || istarts_with(x, "net:")) {
      host.set_tags.emplace_back(after_prefix(x, 4));
    } else if (x.front() == '[') {
      problems.add(line, "dhcp-host: IPv6 address " + x + " ignored");
    } else if (x.find(':') != std::string::npos) {
      Mac mac;
      switch (parse_dnsmasq_mac(x, mac)) {
        case MacForm::exact:
          macs.push_back(mac);
          break;
        case MacForm::wildcard:
          problems.add(line, "dhcp-host: wildcard MAC address " + x +
                                 " matches many machines; Bootkeeper registers each machine by its own MAC");
          mac_reported = true;
          break;
        case MacForm::not_ethernet:
          problems.add(line, "dhcp-host: " + x + " is not an Ethernet address (only hardware type 1)");
          mac_reported = true;
          break;
        case MacForm::invalid:
          problems.add(line, "dhcp-host: " + quote_text(x) + " is not a MAC address");
          mac_reported = true;
          break;
      }
    } else if (all_chars(x, is_digit_or_dot)) {
      const auto a = Ipv4::parse(x);
      if (!a) {
        problems.add(line, "dhcp-host: " + quote_text(x) + " is not an IPv4 address");
      } else if (ip && *ip != *a) {
        problems.add(line, "dhcp-host: a second address " + x + "; " + ip->str() + " is kept");
      } else {
        ip = a;
      }
    } else if (all_chars(x, is_hostname_char)) {
      if (host.hostname.empty()) {
        host.hostname = x;
      } else {
        problems.add(line, "dhcp-host: a second name " + quote_text(x) + "; " + quote_text(host.hostname) +
                               " is kept");
      }
    } else {
      problems.add(line, "dhcp-host: cannot read " + quote_text(x));
    }
  }
  if (macs.empty()) {
    if (!mac_reported) {
      problems.add(line, std::string("dhcp-host: no MAC address (dnsmasq matches this host by ") +
                             (by_client_id ? "client identifier" : "name") +
                             "; Bootkeeper needs the MAC); skipped");
    }
    return;
  }
  if (macs.size() > 1) {
    problems.add(line, "dhcp-host: several MAC addresses share one host; only the first (" +
                           macs.front().str() + ") is imported");
  }
  if (!ip) {
    problems.add(line, "dhcp-host " + macs.front().str() +
                           ": no fixed address; Bootkeeper registers machines with addresses; skipped");
    return;
  }
  host.mac = macs.front();
  host.ip = *ip;
  out.hosts.push_back(std::move(host));
}

void read_option(int line, std::string_view value, DnsmasqLines& out, Problems& problems) {
  const std::vector<std::string> e = split_elements(value);
  OptionLine opt{.line = line, .scope = {}, .code = 0, .value = nullptr};
  const std::size_t i = read_scope(e, opt.scope);
  if (i >= e.size() || e[i].empty()) {
    problems.add(line, "dhcp-option names no option");
    return;
  }
  const std::string_view what = e[i];
  if (istarts_with(what, "encap:") || istarts_with(what, "vi-encap:") || istarts_with(what, "vendor:") ||
      istarts_with(what, "option6:")) {
    problems.add(line, "dhcp-option " + quote_text(what) +
                           ": vendor, encapsulated and IPv6 options are not supported");
    return;
  }
  const bool named = istarts_with(what, "option:");
  const std::string_view key = named ? after_prefix(what, 7) : what;
  if (all_chars(key, is_digit)) {
    std::string why;
    const auto code = option_code(key, why);
    if (!code) {
      problems.add(line, "dhcp-option: " + why + ", not " + std::string(key));
      return;
    }
    opt.code = *code;
  } else if (const auto code = named ? dnsmasq_option_code(key) : std::nullopt) {
    opt.code = *code;
  } else {
    problems.add(line, "dhcp-option: unknown option " + quote_text(what));
    return;
  }

  const std::vector<std::string> values(e.begin() + static_cast<std::ptrdiff_t>(i) + 1, e.end());
  if (values.empty() || (values.size() == 1 && values.front().empty())) {
    out.options.push_back(std::move(opt));  // switched off
    return;
  }
  // Addresses are checked here, where the line is known; the rest is left to the importer.
  const OptionDef* def = find_option(static_cast<std::uint8_t>(opt.code));
  const OptionType type = opt.code == 255 ? OptionType::ip : def != nullptr ? def->type : OptionType::bytes;
  if (type == OptionType::ip || type == OptionType::ips || type == OptionType::ip_pairs) {
    std::vector<Ipv4> addresses;
    for (const std::string& v : values) {
      const auto a = Ipv4::parse(v);
      if (!a) {
        problems.add(line,
                     "dhcp-option " + std::string(what) + ": " + quote_text(v) + " is not an IPv4 address");
        return;
      }
      if (a->is_zero()) {
        problems.add(line, "dhcp-option " + std::string(what) +
                               ": 0.0.0.0 stands for the dnsmasq host itself; write its address");
        return;
      }
      addresses.push_back(*a);
    }
    if (type == OptionType::ip) {
      if (addresses.size() != 1) {
        problems.add(line, "dhcp-option " + std::string(what) + " takes one address");
        return;
      }
      opt.value = addresses.front().str();
    } else {
      opt.value = address_array(addresses);
    }
  } else {
    std::string joined;
    for (const std::string& v : values)
      joined += (joined.empty() ? "" : ",") + v;
    opt.value = joined;
  }
  out.options.push_back(std::move(opt));
}

void read_boot(int line, std::string_view value, DnsmasqLines& out, Problems& problems) {
  const std::vector<std::string> e = split_elements(value);
  BootLine boot{.line = line, .scope = {}, .file = {}, .server = {}};
  const std::size_t i = read_scope(e, boot.scope);
  if (i >= e.size() || relative_path(e[i]).empty()) {
    problems.add(line, "dhcp-boot names no boot file");
    return;
  }
  boot.file = relative_path(e[i]);
  // e[i + 1] is the server name for the reply's sname field: informational only.
  if (i + 2 < e.size() && !e[i + 2].empty()) {
    boot.server = Ipv4::parse(e[i + 2]);
    if (!boot.server) {
      problems.add(line, "dhcp-boot: TFTP server " + quote_text(e[i + 2]) +
                             " is not an IPv4 address; write its address");
    }
  }
  out.boots.push_back(std::move(boot));
}

void read_domain(int line, std::string_view value, DnsmasqLines& out, Problems& problems) {
  const std::vector<std::string> e = split_elements(value);
  DomainLine domain{.line = line, .name = e.front(), .within = {}};
  if (domain.name.empty()) {
    problems.add(line, "domain= names no domain");
    return;
  }
  if (e.size() > 1) {
    // "lab.test,198.18.0.0/24" or "lab.test,198.18.0.10,198.18.0.99[,local]": the subnets
    // holding that first address.
    const std::string_view where = std::string_view(e[1]).substr(0, e[1].find('/'));
    domain.within = Ipv4::parse(where);
    if (!domain.within) {
      problems.add(line, "domain=: " + quote_text(e[1]) + " is not an IPv4 address or network; ignored");
      return;
    }
  }
  out.domains.push_back(std::move(domain));
}

DnsmasqLines read_dnsmasq(std::string_view text, Problems& problems) {
  DnsmasqLines out;
  const std::vector<std::string_view> lines = split_lines(text);
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const int line = static_cast<int>(n) + 1;
    std::string_view body = trim(strip_comment(lines[n]));
    if (body.empty()) continue;
    if (body.starts_with("--")) body.remove_prefix(2);  // the command-line spelling
    const std::size_t eq = body.find('=');
    const std::string key(trim(body.substr(0, eq)));
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : trim(body.substr(eq + 1));
    if (key == "dhcp-range") {
      read_range(line, value, out, problems);
    } else if (key == "dhcp-host") {
      read_host(line, value, out, problems);
    } else if (key == "dhcp-option" || key == "dhcp-option-force") {
      read_option(line, value, out, problems);
    } else if (key == "dhcp-boot") {
      read_boot(line, value, out, problems);
    } else if (key == "domain") {
      read_domain(line, value, out, problems);
    } else if (key == "conf-file" || key == "conf-dir") {
      problems.add(line, key + ": included files are not read; convert them separately");
    } else if (key == "dhcp-hostsfile" || key == "dhcp-hostsdir" || key == "read-ethers") {
      problems.add(line, key + ": hosts kept in other files are not read; add them here as dhcp-host= lines");
    } else if (key == "dhcp-optsfile" || key == "dhcp-optsdir") {
      problems.add(line,
                   key + ": options kept in other files are not read; add them here as dhcp-option= lines");
    } else if (key == "pxe-service" || key == "pxe-prompt") {
      problems.add(line, key + ": PXE boot menus are not supported; use dhcp-boot=");
    }
    // Everything else (interface, port, enable-tftp, tftp-root, log-*, dhcp-match...) is about
    // running dnsmasq, not about the inventory.
  }
  return out;
}

// Where a tagged line applies, given which tags the hosts and the ranges set.
struct Target {
  enum class Kind { everywhere, subnets, machines } kind = Kind::everywhere;
  std::vector<std::size_t> indices;
};

bool has_all(const std::vector<std::string>& have, const std::vector<std::string>& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& t) {
    return std::find(have.begin(), have.end(), t) != have.end();
  });
}

// The value for one option code at one place, and how specific the line that gave it was.
struct Slot {
  Json value;
  int line = 0;
  int level = 0;  // 0: every subnet, 1: tagged for this subnet or machine
};
using Slots = std::map<int, Slot>;

void put_slot(Slots& slots, int code, const Json& value, int line, int level, Problems& problems) {
  const auto it = slots.find(code);
  if (it == slots.end() || it->second.level < level) {
    slots[code] = Slot{.value = value, .line = line, .level = level};
  } else if (it->second.level == level && it->second.value != value) {
    problems.add(line, "option " + std::to_string(code) + " was already given on line " +
                           std::to_string(it->second.line) + "; this value is ignored");
  }
}

}  // namespace

LegacyResult convert_dnsmasq(std::string_view text) {
  Problems problems;
  const DnsmasqLines lines = read_dnsmasq(utf8_lines_only(text, problems), problems);
  Document doc;

  // Subnets with pools first, so that hosts fall into them.
  std::vector<std::vector<std::string>> subnet_tags;
  std::map<std::size_t, int> range_line;  // subnet -> the dhcp-range that made it
  for (const RangeLine& r : lines.ranges) {
    const std::size_t si = doc.subnet_index(r.net);
    if (si >= subnet_tags.size()) subnet_tags.resize(si + 1);
    subnet_tags[si].insert(subnet_tags[si].end(), r.set_tags.begin(), r.set_tags.end());
    if (const auto [it, inserted] = range_line.emplace(si, r.line); !inserted) {
      problems.add(r.line, "a second dhcp-range for " + r.net.str() + " (the first is on line " +
                               std::to_string(it->second) + "); Bootkeeper has one pool per subnet; ignored");
      continue;
    }
    doc.subnets[si].pool = r.pool;
  }

  std::vector<std::vector<std::string>> machine_tags;
  std::vector<std::size_t> machine_subnet;
  std::map<Mac, int> line_by_mac;
  for (const HostLine& h : lines.hosts) {
    if (const auto [it, inserted] = line_by_mac.emplace(h.mac, h.line); !inserted) {
      problems.add(h.line, "dhcp-host " + h.mac.str() + " is already given on line " +
                               std::to_string(it->second) + "; this one is ignored");
      continue;
    }
    // A host outside every dhcp-range still needs a subnet: its /24, without a pool.
    const std::optional<std::size_t> found = doc.subnet_containing(h.ip);
    const std::size_t si = found ? *found : doc.subnet_index(network_holding(h.ip, h.ip));
    if (si >= subnet_tags.size()) subnet_tags.resize(si + 1);
    doc.machines.push_back(MachineOut{.mac = h.mac,
                                      .hostname = h.hostname.empty() ? "host-" + h.mac.hex() : h.hostname,
                                      .ip = h.ip,
                                      .image = {},
                                      .group = h.set_tags.empty() ? std::string() : h.set_tags.front(),
                                      .options = {}});
    machine_tags.push_back(h.set_tags);
    machine_subnet.push_back(si);
  }

  // A tag names machines when some dhcp-host sets it, subnets when some dhcp-range does.
  std::set<std::string> host_tags;
  for (const auto& tags : machine_tags)
    host_tags.insert(tags.begin(), tags.end());
  std::set<std::string> range_tags;
  for (const auto& tags : subnet_tags)
    range_tags.insert(tags.begin(), tags.end());
  const auto target_of = [&](const Scope& scope) {
    std::vector<std::string> for_hosts;
    std::vector<std::string> for_ranges;
    for (const std::string& t : scope.tags) {
      if (host_tags.contains(t)) for_hosts.push_back(t);
      if (range_tags.contains(t)) for_ranges.push_back(t);
    }
    Target target;
    if (!for_hosts.empty()) {
      target.kind = Target::Kind::machines;
      for (std::size_t m = 0; m < doc.machines.size(); ++m) {
        if (has_all(machine_tags[m], for_hosts) && has_all(subnet_tags[machine_subnet[m]], for_ranges)) {
          target.indices.push_back(m);
        }
      }
    } else if (!for_ranges.empty()) {
      target.kind = Target::Kind::subnets;
      for (std::size_t s = 0; s < doc.subnets.size(); ++s) {
        if (has_all(subnet_tags[s], for_ranges)) target.indices.push_back(s);
      }
    }
    return target;
  };

  std::vector<Slots> subnet_slots(doc.subnets.size());
  std::vector<Slots> machine_slots(doc.machines.size());
  for (const OptionLine& o : lines.options) {
    const Target t = target_of(o.scope);
    switch (t.kind) {
      case Target::Kind::everywhere:
        for (Slots& s : subnet_slots)
          put_slot(s, o.code, o.value, o.line, 0, problems);
        break;
      case Target::Kind::subnets:
        for (const std::size_t s : t.indices)
          put_slot(subnet_slots[s], o.code, o.value, o.line, 1, problems);
        break;
      case Target::Kind::machines:
        for (const std::size_t m : t.indices)
          put_slot(machine_slots[m], o.code, o.value, o.line, 1, problems);
        break;
    }
  }

  // domain=: for the subnets holding its address, else for all; option 15 overrides below.
  for (std::size_t s = 0; s < doc.subnets.size(); ++s) {
    const DomainLine* best = nullptr;
    for (const DomainLine& d : lines.domains) {
      if (d.within && doc.subnets[s].net.contains(*d.within) && (best == nullptr || !best->within)) best = &d;
      if (!d.within && best == nullptr) best = &d;
    }
    if (best != nullptr) doc.subnets[s].domain = best->name;
  }

  for (std::size_t s = 0; s < doc.subnets.size(); ++s) {
    SubnetOut& subnet = doc.subnets[s];
    for (const auto& [code, slot] : subnet_slots[s]) {
      if (slot.value.is_null()) continue;  // switched off: Bootkeeper simply does not send it
      if (code == 3) {
        subnet.gateway = Ipv4::parse(slot.value.front().get<std::string>());
        if (slot.value.size() > 1) {
          problems.add(slot.line, "only the first router (" + slot.value.front().get<std::string>() +
                                      ") becomes the gateway of " + subnet_name(subnet.net));
        }
      } else if (code == 6) {
        for (const auto& a : slot.value)
          subnet.dns.push_back(*Ipv4::parse(a.get<std::string>()));
      } else if (code == 15) {
        subnet.domain = slot.value.get<std::string>();
      } else if (code == 255) {
        subnet.next_server = Ipv4::parse(slot.value.get<std::string>());
      } else {
        subnet.options[code] = slot.value;
      }
    }
  }
  for (std::size_t m = 0; m < doc.machines.size(); ++m) {
    for (const auto& [code, slot] : machine_slots[m]) {
      if (slot.value.is_null()) {
        problems.add(slot.line,
                     "option " + std::to_string(code) + " cannot be switched off for single machines");
      } else if (code == 255) {
        problems.add(slot.line, "server-ip-address cannot be set for single machines");
      } else {
        doc.machines[m].options[code] = slot.value;
      }
    }
  }

  // Boot files: one image each, then who boots what.
  UniqueNames image_names;
  std::map<std::string, std::string> image_by_file;
  const auto image_for = [&](const std::string& file) {
    auto [it, inserted] = image_by_file.try_emplace(file);
    if (inserted) {
      it->second = image_names.claim(std::string(base_name(file)));
      doc.images.push_back(ImageOut{.name = it->second, .boot_file = file, .root_path = {}});
    }
    return it->second;
  };
  std::vector<int> machine_image_line(doc.machines.size(), 0);
  std::vector<int> subnet_image_line(doc.subnets.size(), 0);
  std::vector<const BootLine*> everywhere;
  for (const BootLine& b : lines.boots) {
    const std::string image = image_for(b.file);
    const Target t = target_of(b.scope);
    if (t.kind == Target::Kind::everywhere) {
      everywhere.push_back(&b);
    } else if (t.kind == Target::Kind::subnets) {
      for (const std::size_t s : t.indices) {
        if (subnet_image_line[s] == 0) {
          doc.subnets[s].default_image = image;
          if (b.server) doc.subnets[s].next_server = b.server;
          subnet_image_line[s] = b.line;
        } else if (doc.subnets[s].default_image != image) {
          problems.add(b.line, "dhcp-boot: " + subnet_name(doc.subnets[s].net) + " already boots " +
                                   doc.subnets[s].default_image + " (line " +
                                   std::to_string(subnet_image_line[s]) + "); ignored");
        }
      }
    } else {
      if (b.server) problems.add(b.line, "dhcp-boot: a TFTP server for single machines is not supported");
      for (const std::size_t m : t.indices) {
        if (machine_image_line[m] == 0) {
          doc.machines[m].image = image;
          machine_image_line[m] = b.line;
        } else if (doc.machines[m].image != image) {
          problems.add(b.line, "dhcp-boot: " + doc.machines[m].hostname + " already boots " +
                                   doc.machines[m].image + " (line " + std::to_string(machine_image_line[m]) +
                                   "); ignored");
        }
      }
    }
  }
  if (!everywhere.empty()) {
    // dnsmasq falls back to the untagged line; tags set by dhcp-match & co. pick the others,
    // which one default image per subnet cannot express.
    const auto untagged = std::find_if(everywhere.begin(), everywhere.end(),
                                       [](const BootLine* b) { return b->scope.tags.empty(); });
    const BootLine* chosen = untagged != everywhere.end() ? *untagged : everywhere.front();
    const std::string image = image_by_file.at(chosen->file);
    for (const BootLine* b : everywhere) {
      if (b != chosen && b->file != chosen->file) {
        problems.add(b->line, "dhcp-boot: " + b->file + " is imported as an image but is not a default; " +
                                  chosen->file + " (line " + std::to_string(chosen->line) +
                                  ") is, as Bootkeeper has one default image per subnet");
      }
    }
    for (std::size_t s = 0; s < doc.subnets.size(); ++s) {
      if (subnet_image_line[s] != 0) continue;
      doc.subnets[s].default_image = image;
      if (chosen->server) doc.subnets[s].next_server = chosen->server;
    }
  }

  return LegacyResult{.document = doc.to_json(), .problems = problems.take()};
}

}  // namespace bk::db
