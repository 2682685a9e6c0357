// Fuzz target: the inventory document import (`inventory import x.json`, the API, backups) on a
// draft of the lab. Any JSON must give a report, never a crash; and what an import accepts must
// survive export -> import -> export unchanged, since export is the backup format: a document
// that does not re-import the same is a backup that restores something else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "db/document.hpp"
#include "db/draft.hpp"
#include "fuzz_check.hpp"
#include "fuzz_lab.hpp"

namespace {

std::string dump_or_die(const nlohmann::ordered_json& doc) {
  try {
    return doc.dump();
  } catch (const nlohmann::json::exception& e) {
    FUZZ_CHECK_MSG(false, "an accepted import cannot be exported: %s", e.what());
  }
  return {};
}

void check_report(const bk::db::ImportReport& report) {
  for (const auto& row : report.rows) {
    const bool error = row.action == "error";
    FUZZ_CHECK(error || row.action == "create" || row.action == "update" || row.action == "unchanged");
    FUZZ_CHECK(error == !row.errors.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;

  bk::db::Draft draft(bk::fuzz::lab_snapshot(), bk::fuzz::kNow);
  const bk::db::ImportReport report = bk::db::import_document(draft, doc);
  check_report(report);
  if (!report.ok()) return 0;

  const std::string exported = dump_or_die(bk::db::export_document(draft.state()));
  const auto reparsed = nlohmann::json::parse(exported, nullptr, false);
  FUZZ_CHECK(reparsed.is_object());

  // Restoring the backup into an empty inventory gives back the same document...
  const bk::db::Snapshot empty;
  bk::db::Draft restored(empty, bk::fuzz::kNow);
  const bk::db::ImportReport restore = bk::db::import_document(restored, reparsed);
  check_report(restore);
  FUZZ_CHECK_MSG(restore.ok(), "the export does not import:\n%s\n%s", exported.c_str(),
                 restore.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  const std::string again = dump_or_die(bk::db::export_document(restored.state()));
  FUZZ_CHECK_MSG(again == exported, "export -> import -> export differs:\n%s\n%s", exported.c_str(),
                 again.c_str());

  // ...and importing it over the inventory it came from changes nothing.
  bk::db::Draft same(draft.state(), bk::fuzz::kNow);
  const bk::db::ImportReport noop = bk::db::import_document(same, reparsed);
  FUZZ_CHECK_MSG(noop.count("unchanged") == noop.rows.size(), "re-import of the export changes rows:\n%s",
                 noop.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return 0;
}
