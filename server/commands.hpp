#pragma once
#include <iosfwd>
#include <string>

#include "db/inventory.hpp"

namespace bk::server {

// The offline subcommands. Each returns the process exit status and writes what an
// administrator reads to `out` (results) and `err` (problems).

struct ImportOptions {
  std::string file;  // "-" for standard input
  std::string from;  // json | csv | bootptab | dnsmasq; empty: by extension, then by content
  bool dry_run = false;
};
int inventory_import(db::Inventory& inv, const ImportOptions& opt, std::ostream& out, std::ostream& err);
int inventory_export(db::Inventory& inv, std::ostream& out);
int token_create(db::Inventory& inv, const std::string& name, const std::string& role, std::ostream& out,
                 std::ostream& err);
int db_check(db::Inventory& inv, std::ostream& out);

// "Would this machine boot?": fetches every file machine `mac` would fetch, from the running TFTP
// server at `server` (ADDRESS[:PORT]), with tftp-hpa's client, and reports size and sha256 of each.
// `arch` is empty (a client that names no architecture, as BOOTP) or bios, efi-x64, ...
int check_boot(db::Inventory& inv, const std::string& mac, const std::string& server, const std::string& arch,
               std::ostream& out, std::ostream& err);

}  // namespace bk::server
