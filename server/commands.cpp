#include "server/commands.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include "db/document.hpp"
#include "db/legacy_import.hpp"

namespace bk::server {
namespace {

std::optional<std::string> read_all(const std::string& file, std::ostream& err) {
  std::ostringstream ss;
  if (file == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    err << "bootkeeperd: " << file << ": cannot read it: check the path and its permissions\n";
    return std::nullopt;
  }
  ss << in.rdbuf();
  return ss.str();
}

std::string detect_format(const std::string& file, const std::string& text) {
  const auto ends = [&](const char* ext) {
    const std::string e(ext);
    return file.size() >= e.size() && file.compare(file.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".json")) return "json";
  if (ends(".csv")) return "csv";
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) return "json";
  return "csv";
}

void print_report(const db::ImportReport& report, bool every_row, std::ostream& out) {
  for (const auto& row : report.rows) {
    if (!every_row && row.action != "error") continue;
    out << row.where << " (" << row.kind << (row.key.empty() ? "" : " " + row.key) << "): " << row.action;
    for (const auto& e : row.errors)
      out << "\n    " << e.field << " " << e.reason;
    out << "\n";
  }
  out << report.count("create") << " to create, " << report.count("update") << " to update, "
      << report.count("unchanged") << " unchanged, " << report.count("error") << " with errors\n";
}

}  // namespace

int inventory_import(db::Inventory& inv, const ImportOptions& opt, std::ostream& out, std::ostream& err) {
  const auto text = read_all(opt.file, err);
  if (!text) return 1;
  const std::string format = opt.from.empty() ? detect_format(opt.file, *text) : opt.from;

  nlohmann::json doc;
  bool csv = false;
  if (format == "json") {
    doc = nlohmann::json::parse(*text, nullptr, false);
    if (doc.is_discarded()) {
      // Parse again with exceptions on for the position of the first error.
      try {
        const auto ignored = nlohmann::json::parse(*text);
        (void)ignored;
      } catch (const nlohmann::json::parse_error& e) {
        err << "bootkeeperd: " << opt.file << ": not valid JSON (byte " << e.byte
            << "): fix the file; nothing was imported\n";
      }
      return 1;
    }
  } else if (format == "csv") {
    csv = true;
  } else if (format == "bootptab" || format == "dnsmasq") {
    const auto result = format == "bootptab" ? db::convert_bootptab(*text) : db::convert_dnsmasq(*text);
    for (const auto& p : result.problems)
      err << opt.file << ":" << p.line << ": " << p.message << "\n";
    if (!result.problems.empty()) {
      err << "bootkeeperd: " << opt.file << ": " << result.problems.size()
          << " line(s) could not be converted: fix them or remove them; nothing was imported\n";
      return 1;
    }
    doc = result.document;
  } else {
    err << "bootkeeperd: --from " << format << " is not a known format (json, csv, bootptab, dnsmasq)\n";
    return 2;
  }

  db::ImportReport report;
  const auto errors = inv.write(
      [&](db::Draft& d) {
        report = csv ? db::import_machines_csv(d, *text) : db::import_document(d, doc);
        return report.errors();
      },
      opt.dry_run);
  print_report(report, opt.dry_run, errors.empty() ? out : err);
  if (!errors.empty()) {
    err << "bootkeeperd: " << opt.file << ": " << report.count("error")
        << " row(s) have errors: fix them and import again; nothing was imported\n";
    return 1;
  }
  if (opt.dry_run) {
    out << "dry run: nothing was written\n";
  } else {
    out << "imported " << opt.file << "\n";
  }
  return 0;
}

int inventory_export(db::Inventory& inv, std::ostream& out) {
  out << db::export_document(*inv.snapshot()).dump(2) << "\n";
  return out.good() ? 0 : 1;
}

int token_create(db::Inventory& inv, const std::string& name, const std::string& role, std::ostream& out,
                 std::ostream& err) {
  const auto r = db::parse_role(role);
  if (!r) {
    err << "bootkeeperd: --role " << role << " is not a role: use admin, operator or viewer\n";
    return 2;
  }
  try {
    out << inv.create_token(name, *r) << "\n";
  } catch (const db::RuleViolation& e) {
    err << "bootkeeperd: token " << e.what() << ": pick another --name\n";
    return 1;
  }
  return 0;
}

int db_check(db::Inventory& inv, std::ostream& out) {
  const auto r = inv.check();
  out << inv.path() << ": schema version " << r.schema_version << "\n"
      << "  subnets " << r.subnets << ", images " << r.images << ", machines " << r.machines
      << ", discovered " << r.discovered << ", events " << r.events << ", api tokens " << r.tokens << "\n";
  for (const auto& p : r.problems)
    out << "  problem: " << p << "\n";
  out << (r.problems.empty() ? "ok"
                             : "damaged: restore a backup (bootkeeperd inventory export) or "
                               "repair with the sqlite3 shell")
      << "\n";
  return r.problems.empty() ? 0 : 1;
}

}  // namespace bk::server
