#pragma once
#include <span>
#include <string>
#include <string_view>

namespace bk::db::schema {

// Migration i (0-based) takes a database from user_version i to i + 1. Append, never edit: a
// released step has run on someone's inventory.
std::span<const std::string_view> migrations();
inline int current_version() {
  return static_cast<int>(migrations().size());
}

// Creates or migrates the file at `path` to `version` exactly, and nothing else (tests use it to
// build databases of earlier versions).
void migrate_file_to(const std::string& path, int version);

}  // namespace bk::db::schema
