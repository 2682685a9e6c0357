#include "server/commands.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include <cstdlib>
#include <filesystem>
#include <iomanip>

#include "db/digest.hpp"
#include "db/document.hpp"
#include "db/legacy_import.hpp"
#include "server/process.hpp"
#include "tftpd/generated.hpp"

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

int check_boot(db::Inventory& inv, const std::string& mac_text, const std::string& server,
               const std::string& arch_name, std::ostream& out, std::ostream& err) {
  const auto mac = db::Mac::parse(mac_text);
  if (!mac) {
    err << "bootkeeperd: " << mac_text << " is not a MAC address; write it as " << db::Mac::kAcceptedForms
        << "\n";
    return 2;
  }
  std::optional<db::ClientArch> arch;
  if (!arch_name.empty()) {
    arch = db::parse_client_arch(arch_name);
    if (!arch) {
      err << "bootkeeperd: --arch " << arch_name
          << " is not an architecture: use bios, efi-ia32, efi-x64, efi-arm64 or http-x64\n";
      return 2;
    }
    if (*arch == db::ClientArch::http_x64) {
      err << "bootkeeperd: --arch http-x64 boots by HTTP, not TFTP: fetch its URL with curl\n";
      return 2;
    }
  }
  const auto ep = db::Endpoint::parse(server, 69, "--server");
  const std::string host = ep.address.is_zero() ? "127.0.0.1" : ep.address.str();
  const auto snap = inv.snapshot();
  const db::Machine* m = snap->machine_by_mac(*mac);
  if (m == nullptr) {
    err << "bootkeeperd: no machine with MAC " << mac->str()
        << " in the inventory: register it first (bootkeeperd inventory import)\n";
    return 1;
  }
  const db::Subnet* subnet = snap->subnet(m->subnet_id);
  const db::Image* image = snap->image_for(*m);
  out << m->hostname << " " << m->mac.str() << " " << m->ip.str() << " subnet "
      << (subnet != nullptr ? subnet->name : "?") << " image "
      << (image != nullptr ? image->name + " (" + std::string(db::to_string(image->kind)) + ")" : "none")
      << "\n";
  if (!m->enabled) {
    out << "would NOT boot: the machine is disabled, so the BOOTP server does not answer it\n";
    return 1;
  }
  const auto steps = tftp::boot_sequence(*m, *snap, arch);
  if (steps.empty()) {
    if (image != nullptr) {
      out << "would NOT boot: image " << image->name << " has no boot file for " << db::label(*arch)
          << " (add one to its boot_files)\n";
    } else {
      out << "would NOT boot: neither the machine nor its subnet names an image\n";
    }
    return 1;
  }

  std::string tmpl = (std::filesystem::temp_directory_path() / "bk-check-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    err << "bootkeeperd: cannot make a temporary folder in " << std::filesystem::temp_directory_path()
        << "\n";
    return 1;
  }
  const std::filesystem::path dir(tmpl);
  std::size_t failed = 0;
  bool server_silent = false;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    if (server_silent) {
      ++failed;
      out << std::left << std::setw(5) << "FAIL" << std::setw(16) << step.what << std::setw(40) << step.path
          << " not tried: the server did not answer\n";
      continue;
    }
    const auto local = dir / std::to_string(i);
    // tftp-hpa reports a refused file on its output with exit status 0, so the output decides.
    const auto r = run_process({"tftp", host, std::to_string(ep.port)},
                               "binary\ntimeout 5\nget " + step.path + " " + local.string() + "\nquit\n");
    std::string problem;
    if (r.status == 127) {
      problem = "tftp-hpa's tftp client is not installed (apt-get install tftp-hpa)";
    } else if (const auto e = r.output.find("Error code"); e != std::string::npos) {
      problem = r.output.substr(e, r.output.find('\n', e) - e);
    } else if (r.output.find("timed out") != std::string::npos) {
      problem = "no answer from a TFTP server at " + host + ":" + std::to_string(ep.port);
      server_silent = true;
    } else if (r.status != 0 || !std::filesystem::exists(local)) {
      problem = "tftp failed: " + r.output;
    }
    out << std::left << std::setw(5) << (problem.empty() ? "ok" : "FAIL") << std::setw(16) << step.what
        << std::setw(40) << step.path;
    if (problem.empty()) {
      const auto bytes = read_all(local.string(), err).value_or("");
      out << " " << bytes.size() << " bytes  sha256 " << db::sha256_hex(bytes) << "\n";
    } else {
      ++failed;
      out << " " << problem << "\n";
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (failed == 0) {
    out << "would boot: all " << steps.size() << " files fetched from " << host << ":" << ep.port << "\n";
    return 0;
  }
  out << "would NOT boot: " << failed << " of " << steps.size() << " files could not be fetched\n";
  return 1;
}

}  // namespace bk::server
