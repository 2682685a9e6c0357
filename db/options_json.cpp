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

nlohmann::ordered_json boot_files_to_json(const std::map<ClientArch, std::string>& files) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [arch, file] : files)
    j[std::string(to_string(arch))] = file;
  return j;
}

std::map<ClientArch, std::string> boot_files_from_json(const nlohmann::json& j, std::string_view field,
                                                       FieldErrors& errors) {
  std::map<ClientArch, std::string> out;
  if (!j.is_object()) {
    errors.push_back({std::string(field), "must be an object of architecture to boot file"});
    return out;
  }
  for (const auto& [key, value] : j.items()) {
    const std::string name = std::string(field) + "." + key;
    const auto arch = parse_client_arch(key);
    if (!arch) {
      errors.push_back({name, "is not an architecture: use bios, efi-ia32, efi-x64, efi-arm64 or http-x64"});
    } else if (!value.is_string()) {
      errors.push_back({name, "must be a string"});
    } else {
      out.emplace(*arch, value.get<std::string>());
    }
  }
  return out;
}

}  // namespace bk::db
