#pragma once
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/errors.hpp"
#include "db/ipv4.hpp"
#include "db/mac.hpp"
#include "db/model.hpp"

namespace bk::db {

// Reads the fields of one JSON object strictly: each value through the one parser of its type,
// every problem recorded as a FieldError naming the field, and unknown fields refused. The
// inventory document, the CSV import and the REST API all read objects through it.
class JsonReader {
 public:
  JsonReader(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed, FieldErrors& errors);
  JsonReader(const nlohmann::json& obj, std::span<const std::string_view> allowed, FieldErrors& errors);

  bool has(std::string_view key) const;
  std::optional<std::string> text(std::string_view key, bool required = false);
  std::optional<Mac> mac(std::string_view key, bool required = false);
  std::optional<Ipv4> ipv4(std::string_view key, bool required = false);
  std::optional<Cidr> cidr(std::string_view key, bool required = false);
  std::optional<bool> boolean(std::string_view key, bool required = false);
  std::optional<std::vector<Ipv4>> ipv4_list(std::string_view key);
  std::optional<Pool> pool(std::string_view key);
  std::optional<Options> options(std::string_view key);
  std::optional<std::map<ClientArch, std::string>> boot_files(std::string_view key);

  bool valid_object() const { return obj_ != nullptr; }

 private:
  const nlohmann::json* get(std::string_view key, bool required);
  void fail(std::string_view key, std::string reason);

  const nlohmann::json* obj_ = nullptr;
  FieldErrors& errors_;
};

// The one parse of each value type with the message an administrator reads.
std::optional<Mac> parse_mac_field(std::string_view text, std::string_view field, FieldErrors& errors);
std::optional<Ipv4> parse_ipv4_field(std::string_view text, std::string_view field, FieldErrors& errors);
std::optional<Cidr> parse_cidr_field(std::string_view text, std::string_view field, FieldErrors& errors);

}  // namespace bk::db
