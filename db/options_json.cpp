#include "db/options_json.hpp"

#include "db/option_table.hpp"

namespace bk::db {

nlohmann::ordered_json options_to_json(const Options& options) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [code, bytes] : options) {
    j[std::to_string(code)] = decode_option_value(code, bytes);
  }
  return j;
}

Options options_from_json(const nlohmann::json& j, std::string_view field, FieldErrors& errors) {
  Options out;
  if (!j.is_object()) {
    errors.push_back({std::string(field), "must be an object of option code or name to value"});
    return out;
  }
  for (const auto& [key, value] : j.items()) {
    const std::string name = std::string(field) + "." + key;
    std::string why;
    const auto code = option_code(key, why);
    if (!code) {
      errors.push_back({name, why});
      continue;
    }
    auto bytes = encode_option_value(*code, value, why);
    if (!bytes) {
      errors.push_back({name, why});
      continue;
    }
    if (!out.emplace(*code, std::move(*bytes)).second) {
      errors.push_back({name, "sets option " + std::to_string(*code) + " twice"});
    }
  }
  return out;
}

}  // namespace bk::db
