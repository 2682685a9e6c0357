#include "server/config.hpp"

#include <set>
#include <stdexcept>

#include <toml++/toml.h>

namespace bk::server {
namespace {

std::string where(const std::string& path, const toml::node& n) {
  return path + ":" + std::to_string(n.source().begin.line);
}

template <typename T>
void read(const toml::table& t, const std::string& key, T& out, const std::string& path) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return;
  const auto v = n->value<T>();
  if (!v) throw std::runtime_error(where(path, *n) + ": " + key + " has the wrong type");
  out = *v;
}

void read_list(const toml::table& t, const std::string& key, std::vector<std::string>& out,
               const std::string& path) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return;
  const toml::array* a = n->as_array();
  if (a == nullptr) throw std::runtime_error(where(path, *n) + ": " + key + " must be an array of strings");
  out.clear();
  for (const auto& item : *a) {
    const auto s = item.value<std::string>();
    if (!s) throw std::runtime_error(where(path, item) + ": " + key + " must hold strings");
    out.push_back(*s);
  }
}

void refuse_unknown(const toml::table& t, const std::set<std::string>& known, const std::string& path,
                    const std::string& section) {
  for (const auto& [key, node] : t) {
    if (known.count(std::string(key.str())) == 0) {
      std::string list;
      for (const auto& k : known) {
        if (!list.empty()) list += ", ";
        list += k;
      }
      std::string message = where(path, node);
      message += ": unknown key ";
      message += section;
      message += key.str();
      message += " (known: " + list + ")";
      throw std::runtime_error(message);
    }
  }
}

const toml::table* section(const toml::table& root, const char* name, const std::string& path) {
  const toml::node* n = root.get(name);
  if (n == nullptr) return nullptr;
  const toml::table* t = n->as_table();
  if (t == nullptr)
    throw std::runtime_error(where(path, *n) + ": " + name + " must be a table ([" + name + "])");
  return t;
}

}  // namespace

Config load_config_file(const std::string& path, Config c) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    if (src.begin.line == 0)
      throw std::runtime_error(path + ": cannot read: " + std::string(e.description()));
    throw std::runtime_error(path + ":" + std::to_string(src.begin.line) + ": " +
                             std::string(e.description()));
  }
  refuse_unknown(root, {"db", "images", "log_level", "bootp", "tftp", "api"}, path, "");
  read(root, "db", c.db, path);
  read(root, "images", c.images, path);
  read(root, "log_level", c.log_level, path);
  if (const auto* t = section(root, "bootp", path)) {
    refuse_unknown(
        *t, {"enabled", "listen", "interfaces", "rate_limit", "max_hops", "server_name", "lease_seconds"},
        path, "bootp.");
    read(*t, "rate_limit", c.bootp_rate_limit, path);
    read(*t, "max_hops", c.bootp_max_hops, path);
    read(*t, "lease_seconds", c.bootp_lease_seconds, path);
    read(*t, "server_name", c.server_name, path);
    read(*t, "enabled", c.bootp_enabled, path);
    read(*t, "listen", c.bootp_listen, path);
    read_list(*t, "interfaces", c.interfaces, path);
  }
  if (const auto* t = section(root, "tftp", path)) {
    refuse_unknown(*t,
                   {"enabled", "listen", "backend", "max_blksize", "max_windowsize", "max_transfers",
                    "max_transfers_per_client"},
                   path, "tftp.");
    read(*t, "enabled", c.tftp_enabled, path);
    read(*t, "listen", c.tftp_listen, path);
    read(*t, "backend", c.tftp_backend, path);
    read(*t, "max_blksize", c.tftp_max_blksize, path);
    read(*t, "max_windowsize", c.tftp_max_windowsize, path);
    read(*t, "max_transfers", c.tftp_max_transfers, path);
    read(*t, "max_transfers_per_client", c.tftp_max_transfers_per_client, path);
  }
  if (const auto* t = section(root, "api", path)) {
    refuse_unknown(*t, {"enabled", "listen", "tls_cert", "tls_key"}, path, "api.");
    read(*t, "enabled", c.api_enabled, path);
    read(*t, "listen", c.api_listen, path);
    read(*t, "tls_cert", c.api_tls_cert, path);
    read(*t, "tls_key", c.api_tls_key, path);
  }
  return c;
}

}  // namespace bk::server
