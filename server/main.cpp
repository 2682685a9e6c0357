// bootkeeperd: the BOOTP server, TFTP image server and REST API of Bootkeeper, and the offline
// commands that work on the same inventory.
#include <filesystem>
#include <iostream>
#include <optional>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "db/errors.hpp"
#include "db/inventory.hpp"
#include "server/commands.hpp"
#include "server/config.hpp"
#include "server/daemon.hpp"

namespace {

// Flags given on the command line; each one that is set wins over the config file.
struct Flags {
  std::optional<std::string> db, images, log_level, bootp_listen, tftp_listen, tftp_backend, api_listen,
      api_tls_cert, api_tls_key;
  std::vector<std::string> interfaces;
  std::optional<double> rate_limit;
  std::optional<std::string> server_name;
  bool no_bootp = false, no_tftp = false, no_api = false;
};

bk::server::Config resolve(const std::string& config_file, const Flags& f) {
  bk::server::Config c;
  if (!config_file.empty()) c = bk::server::load_config_file(config_file, c);
  if (f.db) c.db = *f.db;
  if (f.images) c.images = *f.images;
  if (f.log_level) c.log_level = *f.log_level;
  if (f.bootp_listen) c.bootp_listen = *f.bootp_listen;
  if (f.tftp_listen) c.tftp_listen = *f.tftp_listen;
  if (f.tftp_backend) c.tftp_backend = *f.tftp_backend;
  if (f.api_listen) c.api_listen = *f.api_listen;
  if (f.api_tls_cert) c.api_tls_cert = *f.api_tls_cert;
  if (f.api_tls_key) c.api_tls_key = *f.api_tls_key;
  if (!f.interfaces.empty()) c.interfaces = f.interfaces;
  if (f.rate_limit) c.bootp_rate_limit = *f.rate_limit;
  if (f.server_name) c.server_name = *f.server_name;
  if (f.no_bootp) c.bootp_enabled = false;
  if (f.no_tftp) c.tftp_enabled = false;
  if (f.no_api) c.api_enabled = false;
  return c;
}

// The default inventory lives in ./var of a source checkout; make that folder on first use. An
// explicit --db in a missing folder is a mistake to report, not to paper over.
void prepare_default_db_dir(const bk::server::Config& c, const Flags& f, const std::string& config_file) {
  if (f.db || !config_file.empty()) return;
  std::filesystem::create_directories(std::filesystem::path(c.db).parent_path());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Bootkeeper: BOOTP/PXE server, TFTP image server and REST API for diskless workstations.\n"
      "Without a subcommand, runs the daemon."};
  app.set_version_flag("--version", std::string("bootkeeperd ") + BK_VERSION);
  std::string config_file;
  Flags f;
  app.add_option("--config", config_file, "TOML configuration file (flags override it)")
      ->check(CLI::ExistingFile);
  app.add_option("--db", f.db, "inventory database file (default var/bootkeeper.db)");
  app.add_option("--images", f.images, "image root served over TFTP (default ./images)");
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error (default info)");
  app.add_option("--bootp-listen", f.bootp_listen, "BOOTP address[:port] (default 0.0.0.0:67)");
  app.add_option("--interface", f.interfaces, "answer BOOTP on this interface (repeatable; default all)");
  app.add_option("--bootp-rate-limit", f.rate_limit,
                 "BOOTP replies per second per MAC; 0 = no limit (default 10)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--server-name", f.server_name, "server name in replies (sname); default: this host's name");
  app.add_option("--tftp-listen", f.tftp_listen, "TFTP address[:port] (default 0.0.0.0:69)");
  app.add_option("--tftp-backend", f.tftp_backend,
                 "builtin (default) or tftp-hpa: run tftp-hpa's in.tftpd on the image root instead, with the "
                 "generated files written there")
      ->check(CLI::IsMember({"builtin", "tftp-hpa"}));
  app.add_option("--api-listen", f.api_listen, "REST API address:port (default 127.0.0.1:8067)");
  app.add_option("--api-tls-cert", f.api_tls_cert, "PEM certificate (chain): the API then speaks HTTPS only");
  app.add_option("--api-tls-key", f.api_tls_key, "PEM private key of --api-tls-cert");
  app.add_flag("--no-bootp", f.no_bootp, "do not run the BOOTP server");
  app.add_flag("--no-tftp", f.no_tftp, "do not run the TFTP server");
  app.add_flag("--no-api", f.no_api, "do not run the REST API");

  auto* inventory = app.add_subcommand("inventory", "import or export the inventory document");
  inventory->require_subcommand(1);
  bk::server::ImportOptions import;
  auto* imp = inventory->add_subcommand("import",
                                        "import a JSON inventory document, a CSV of machines, "
                                        "a bootptab or a dnsmasq configuration (all or nothing)");
  imp->add_option("FILE", import.file, "file to import ('-' for standard input)")->required();
  imp->add_option("--from", import.from, "json, csv, bootptab or dnsmasq (default: by extension or content)")
      ->check(CLI::IsMember({"json", "csv", "bootptab", "dnsmasq"}));
  imp->add_flag("--dry-run", import.dry_run, "check every row and print a report; write nothing");
  auto* exp = inventory->add_subcommand("export", "print the inventory document (JSON) to standard output");

  auto* token = app.add_subcommand("token", "manage REST API tokens");
  token->require_subcommand(1);
  std::string role;
  std::string token_name;
  auto* tcreate = token->add_subcommand("create", "create an API token and print it once");
  tcreate->add_option("--role", role, "admin, operator or viewer")->required();
  tcreate->add_option("--name", token_name, "a name to recognise the token by (default: role and time)");

  auto* dbcmd = app.add_subcommand("db", "database maintenance");
  dbcmd->require_subcommand(1);
  auto* check = dbcmd->add_subcommand("check", "integrity and foreign-key checks, row counts");

  auto* checkcmd = app.add_subcommand("check", "check what a machine would get");
  checkcmd->require_subcommand(1);
  std::string boot_mac;
  std::string boot_server;
  std::string boot_arch;
  auto* boot = checkcmd->add_subcommand(
      "boot", "fetch every file a machine would fetch from the running TFTP server (tftp-hpa's client)");
  boot->add_option("--mac", boot_mac, "the machine's MAC address")->required();
  boot->add_option("--server", boot_server,
                   "TFTP server ADDRESS[:PORT] (default: --tftp-listen, 0.0.0.0 as 127.0.0.1)");
  boot->add_option("--arch", boot_arch,
                   "as a client of this architecture: bios, efi-ia32, efi-x64 or efi-arm64 (default: one "
                   "that names none, as BOOTP)");

  for (auto* sub : {inventory, imp, exp, token, tcreate, dbcmd, check, checkcmd, boot})
    sub->fallthrough();

  CLI11_PARSE(app, argc, argv);

  try {
    const bk::server::Config config = resolve(config_file, f);
    if (const auto level = spdlog::level::from_str(config.log_level);
        level == spdlog::level::off && config.log_level != "off") {
      std::cerr << "bootkeeperd: log level " << config.log_level
                << " is not one of trace, debug, info, warn, error\n";
      return 2;
    } else {
      spdlog::set_level(level);
    }
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    prepare_default_db_dir(config, f, config_file);

    if (boot->parsed()) {
      bk::db::Inventory inv(config.db);
      return bk::server::check_boot(inv, boot_mac, boot_server.empty() ? config.tftp_listen : boot_server,
                                    boot_arch, std::cout, std::cerr);
    }
    if (app.got_subcommand(inventory) || app.got_subcommand(token) || app.got_subcommand(dbcmd)) {
      bk::db::Inventory inv(config.db);
      if (imp->parsed()) return bk::server::inventory_import(inv, import, std::cout, std::cerr);
      if (exp->parsed()) return bk::server::inventory_export(inv, std::cout);
      if (tcreate->parsed()) {
        if (token_name.empty()) token_name = role + "-" + bk::db::utc_now();
        return bk::server::token_create(inv, token_name, role, std::cout, std::cerr);
      }
      if (check->parsed()) return bk::server::db_check(inv, std::cout);
    }
    return bk::server::run_daemon(config);
  } catch (const bk::db::DbError& e) {
    std::cerr << "bootkeeperd: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bootkeeperd: " << e.what() << "\n";
  }
  return 1;
}
