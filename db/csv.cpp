#include "db/csv.hpp"

namespace bk::db {

std::optional<std::vector<CsvRecord>> parse_csv(std::string_view text, std::string& why) {
  std::vector<CsvRecord> out;
  CsvRecord rec;
  std::string field;
  int line = 1;
  bool in_quotes = false;
  bool quoted_field = false;
  int quote_line = 0;
  bool record_has_content = false;
  const auto end_field = [&] {
    rec.fields.push_back(std::move(field));
    field.clear();
    quoted_field = false;
  };
  const auto end_record = [&] {
    end_field();
    if (record_has_content) out.push_back(std::move(rec));
    rec = CsvRecord{};
    record_has_content = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (rec.line == 0) rec.line = line;
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!field.empty() || quoted_field) {
          field.push_back(c);  // a stray quote inside an unquoted field is data
        } else {
          in_quotes = quoted_field = record_has_content = true;
          quote_line = line;
        }
        break;
      case ',':
        record_has_content = true;
        end_field();
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;
        [[fallthrough]];
      case '\n':
        end_record();
        ++line;
        break;
      default:
        record_has_content = true;
        field.push_back(c);
    }
  }
  if (in_quotes) {
    why = "line " + std::to_string(quote_line) + ": a quoted field is never closed";
    return std::nullopt;
  }
  end_record();
  return out;
}

}  // namespace bk::db
