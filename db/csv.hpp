#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bk::db {

struct CsvRecord {
  int line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

// RFC 4180: comma separated, fields optionally in double quotes ("" for a quote inside), CRLF or
// LF line ends; blank lines are skipped. nullopt with `why` set (naming the line) when a quoted
// field is never closed.
std::optional<std::vector<CsvRecord>> parse_csv(std::string_view text, std::string& why);

}  // namespace bk::db
