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

}  // namespace bk::server
