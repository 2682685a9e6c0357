#pragma once
#include <string_view>

#include <nlohmann/json.hpp>

#include "db/errors.hpp"
#include "db/model.hpp"

namespace bk::db {

// {"17": "/srv/root", "3": ["198.18.0.1"]}: keys are codes, values the canonical form of the
// option table. The same text is stored in SQLite, exported and served by the API.
nlohmann::ordered_json options_to_json(const Options& options);
// Accepts codes or names as keys; each bad entry adds an error naming `field`.key.
Options options_from_json(const nlohmann::json& j, std::string_view field, FieldErrors& errors);

// An image's boot files per architecture: {"efi-x64": "lab/ipxe.efi"}. Only the shape is read
// here (known architecture names, string values); the paths are checked by the inventory rules.
nlohmann::ordered_json boot_files_to_json(const std::map<ClientArch, std::string>& files);
std::map<ClientArch, std::string> boot_files_from_json(const nlohmann::json& j, std::string_view field,
                                                       FieldErrors& errors);

}  // namespace bk::db
