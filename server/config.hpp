#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bk::server {

// Everything bootkeeperd can be told, from the TOML file and then the flags (flags win).
struct Config {
  std::string db = "var/bootkeeper.db";
  std::string images = "images";
  std::string log_level = "info";
  bool bootp_enabled = true;
  std::string bootp_listen = "0.0.0.0:67";
  std::vector<std::string> interfaces;
  double bootp_rate_limit = 10;  // replies per second per MAC; 0 turns the limit off
  int bootp_max_hops = 16;
  std::int64_t bootp_lease_seconds = 86400;  // DHCP leases (option 51); BOOTP bindings are permanent
  std::string server_name;                   // sname of replies; empty: this host's name
  bool tftp_enabled = true;
  std::string tftp_backend = "builtin";  // or "tftp-hpa": run and supervise in.tftpd instead
  std::string tftp_listen = "0.0.0.0:69";
  int tftp_max_blksize = 1468;             // 1468: no IP fragmentation on Ethernet
  int tftp_max_windowsize = 64;            // RFC 7440 windows of up to this many blocks
  int tftp_max_transfers = 1000;           // more at once get an ERROR ("busy")
  int tftp_max_transfers_per_client = 16;  // the same for one client address; 0: no limit
  bool api_enabled = true;
  std::string api_listen = "127.0.0.1:8067";
  std::string api_tls_cert;  // PEM certificate chain; with api_tls_key, the API speaks HTTPS only
  std::string api_tls_key;
};

// Reads a TOML file over `base`. Throws std::runtime_error with "FILE:LINE: problem" on a syntax
// error, an unknown key or a value of the wrong type.
Config load_config_file(const std::string& path, Config base);

}  // namespace bk::server
