// Fuzz target: the machines CSV import (`bootkeeperd inventory import x.csv`, the GUI's upload)
// on a draft of the lab. Any bytes must give a report, never a crash; the report must be
// consistent with what the draft now holds; and what an import accepts must be exportable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/document.hpp"
#include "db/draft.hpp"
#include "fuzz_check.hpp"
#include "fuzz_lab.hpp"

namespace {

// Lines as the CSV reader counts them: LF, CRLF and a lone CR each end one.
std::size_t count_lines(std::string_view text) {
  std::size_t lines = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) ++lines;
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view csv(reinterpret_cast<const char*>(data), size);
  bk::db::Draft draft(bk::fuzz::lab_snapshot(), bk::fuzz::kNow);
  const bk::db::ImportReport report = bk::db::import_machines_csv(draft, csv);

  // One row per record after the header (or one for a bad header or file), and every record
  // starts on a line of its own. A header alone gives no rows.
  FUZZ_CHECK_MSG(report.rows.size() <= count_lines(csv), "%zu rows from %zu lines", report.rows.size(),
                 count_lines(csv));
  for (const auto& row : report.rows) {
    const bool error = row.action == "error";
    FUZZ_CHECK(error || row.action == "create" || row.action == "update" || row.action == "unchanged");
    FUZZ_CHECK(!(error && report.ok()));
    // An error always says what is wrong; a row that went in has nothing to say.
    FUZZ_CHECK(error == !row.errors.empty());
    if (!error) {
      // Rows never delete, so every machine a row wrote is still in the draft, under its MAC.
      const auto mac = bk::db::Mac::parse(row.key);
      FUZZ_CHECK(mac.has_value() && draft.state().machine_by_mac(*mac) != nullptr);
    }
  }

  if (report.ok()) {
    // `inventory export` prints the whole inventory as JSON; an import that it accepted must not
    // leave the inventory unprintable (nlohmann::json throws on invalid UTF-8 when dumping).
    std::string dumped;
    try {
      dumped = bk::db::export_document(draft.state()).dump();
    } catch (const nlohmann::json::exception& e) {
      FUZZ_CHECK_MSG(false, "the CSV import was accepted, but its export cannot be printed: %s", e.what());
    }
    FUZZ_CHECK(!dumped.empty());
  }
  return 0;
}
