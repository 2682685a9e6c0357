#include "db/json_reader.hpp"

#include <charconv>

#include "db/names.hpp"
#include "db/options_json.hpp"

namespace bk::db {

std::optional<Mac> parse_mac_field(std::string_view text, std::string_view field, FieldErrors& errors) {
  auto m = Mac::parse(text);
  if (!m) {
    errors.push_back({std::string(field), "is not a MAC address: " + excerpt(text) + " (write it as " +
                                              std::string(Mac::kAcceptedForms) + ")"});
  }
  return m;
}

std::optional<Ipv4> parse_ipv4_field(std::string_view text, std::string_view field, FieldErrors& errors) {
  auto a = Ipv4::parse(text);
  if (!a) {
    errors.push_back(
        {std::string(field), "is not an IPv4 address: " + excerpt(text) + " (write it as 198.18.0.50)"});
  }
  return a;
}

std::optional<Cidr> parse_cidr_field(std::string_view text, std::string_view field, FieldErrors& errors) {
  auto c = Cidr::parse(text);
  if (c) return c;
  std::string reason = "is not a network: " + excerpt(text) + " (write it as 198.18.0.0/24)";
  // The common slip is an address with host bits: say which network was meant.
  const auto slash = text.find('/');
  int prefix = -1;
  if (slash != std::string_view::npos) {
    const auto p = text.substr(slash + 1);
    std::from_chars(p.data(), p.data() + p.size(), prefix);
    const auto addr = Ipv4::parse(text.substr(0, slash));
    if (addr && prefix >= 0 && prefix <= 32) {
      const Ipv4 mask(prefix == 0 ? 0u : ~std::uint32_t{0} << (32 - prefix));
      if (const auto net = Cidr::from_mask(*addr, mask)) {
        reason = "has host bits set: did you mean " + net->str() + "?";
      }
    }
  }
  errors.push_back({std::string(field), reason});
  return std::nullopt;
}

JsonReader::JsonReader(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed,
                       FieldErrors& errors)
    : JsonReader(obj, std::span<const std::string_view>(allowed.begin(), allowed.size()), errors) {}

JsonReader::JsonReader(const nlohmann::json& obj, std::span<const std::string_view> allowed,
                       FieldErrors& errors)
    : errors_(errors) {
  if (!obj.is_object()) {
    errors_.push_back({"(object)", "must be a JSON object"});
    return;
  }
  obj_ = &obj;
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (const auto a : allowed)
      known = known || a == key;
    if (!known) {
      std::string list;
      for (const auto a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
      errors_.push_back({key, "is not a known field (known: " + list + ")"});
    }
  }
}

bool JsonReader::has(std::string_view key) const {
  return obj_ != nullptr && obj_->contains(key) && !(*obj_)[std::string(key)].is_null();
}

void JsonReader::fail(std::string_view key, std::string reason) {
  errors_.push_back({std::string(key), std::move(reason)});
}

const nlohmann::json* JsonReader::get(std::string_view key, bool required) {
  if (obj_ == nullptr) return nullptr;
  const auto it = obj_->find(key);
  if (it == obj_->end() || it->is_null()) {
    if (required) fail(key, "is required");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> JsonReader::text(std::string_view key, bool required) {
  const auto* v = get(key, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    fail(key, "must be a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<Mac> JsonReader::mac(std::string_view key, bool required) {
  const auto t = text(key, required);
  return t ? parse_mac_field(*t, key, errors_) : std::nullopt;
}

std::optional<Ipv4> JsonReader::ipv4(std::string_view key, bool required) {
  const auto t = text(key, required);
  return t ? parse_ipv4_field(*t, key, errors_) : std::nullopt;
}

std::optional<Cidr> JsonReader::cidr(std::string_view key, bool required) {
  const auto t = text(key, required);
  return t ? parse_cidr_field(*t, key, errors_) : std::nullopt;
}

std::optional<bool> JsonReader::boolean(std::string_view key, bool required) {
  const auto* v = get(key, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    fail(key, "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::vector<Ipv4>> JsonReader::ipv4_list(std::string_view key) {
  const auto* v = get(key, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array()) {
    fail(key, "must be an array of IPv4 addresses");
    return std::nullopt;
  }
  std::vector<Ipv4> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
    if (!item.is_string()) {
      fail(field, "must be a string");
    } else if (const auto a = parse_ipv4_field(item.get<std::string>(), field, errors_)) {
      out.push_back(*a);
    }
  }
  return out;
}

std::optional<Pool> JsonReader::pool(std::string_view key) {
  const auto* v = get(key, false);
  if (v == nullptr) return std::nullopt;
  FieldErrors inner;
  JsonReader r(*v, {"start", "end"}, inner);
  const auto start = r.ipv4("start", true);
  const auto end = r.ipv4("end", true);
  for (auto& e : inner)
    errors_.push_back({std::string(key) + "." + e.field, e.reason, e.kind});
  if (!start || !end) return std::nullopt;
  return Pool{*start, *end};
}

std::optional<Options> JsonReader::options(std::string_view key) {
  const auto* v = get(key, false);
  if (v == nullptr) return std::nullopt;
  return options_from_json(*v, key, errors_);
}

std::optional<std::map<ClientArch, std::string>> JsonReader::boot_files(std::string_view key) {
  const auto* v = get(key, false);
  if (v == nullptr) return std::nullopt;
  return boot_files_from_json(*v, key, errors_);
}

}  // namespace bk::db
