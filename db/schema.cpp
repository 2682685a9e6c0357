#include "db/schema.hpp"

#include <array>

#include "db/sqlite.hpp"

namespace bk::db::schema {
namespace {

constexpr std::string_view kV1 = R"sql(
CREATE TABLE images (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL CHECK (kind IN ('pxelinux','ipxe','kernel','efi','raw')),
  boot_file   TEXT NOT NULL,
  arch        TEXT NOT NULL DEFAULT '',
  kernel      TEXT NOT NULL DEFAULT '',
  initrd      TEXT NOT NULL DEFAULT '',
  cmdline     TEXT NOT NULL DEFAULT '',
  root_path   TEXT NOT NULL DEFAULT '',
  size        INTEGER,
  sha256      TEXT NOT NULL DEFAULT '',
  options     TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE TABLE subnets (
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  network          TEXT NOT NULL UNIQUE,
  gateway          TEXT,
  dns              TEXT NOT NULL DEFAULT '[]',
  domain           TEXT NOT NULL DEFAULT '',
  next_server      TEXT,
  pool_start       TEXT,
  pool_end         TEXT,
  default_image_id INTEGER REFERENCES images(id),
  options          TEXT NOT NULL DEFAULT '{}',
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  CHECK ((pool_start IS NULL) = (pool_end IS NULL))
);
CREATE TABLE machines (
  id          INTEGER PRIMARY KEY,
  mac         TEXT NOT NULL UNIQUE,
  hostname    TEXT NOT NULL,
  ip          TEXT NOT NULL UNIQUE,
  subnet_id   INTEGER NOT NULL REFERENCES subnets(id),
  image_id    INTEGER REFERENCES images(id),
  enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  group_label TEXT NOT NULL DEFAULT '',
  options     TEXT NOT NULL DEFAULT '{}',
  origin      TEXT NOT NULL DEFAULT 'registered' CHECK (origin IN ('registered','pool')),
  last_seen   TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX machines_subnet ON machines(subnet_id);
CREATE INDEX machines_image ON machines(image_id);
CREATE TABLE discovered (
  mac          TEXT PRIMARY KEY,
  first_seen   TEXT NOT NULL,
  last_seen    TEXT NOT NULL,
  count        INTEGER NOT NULL DEFAULT 1,
  relay        TEXT,
  vendor_class TEXT NOT NULL DEFAULT '',
  client_arch  INTEGER,
  hostname     TEXT NOT NULL DEFAULT ''
);
CREATE TABLE events (
  id     INTEGER PRIMARY KEY,
  at     TEXT NOT NULL,
  kind   TEXT NOT NULL,
  mac    TEXT,
  ip     TEXT,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_at ON events(at);
CREATE INDEX events_mac_at ON events(mac, at);
CREATE TABLE api_tokens (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  role       TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),
  hash       TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_used  TEXT NOT NULL DEFAULT ''
);
)sql";

// v2: boot files per client architecture (option 93), as a JSON object like options.
constexpr std::string_view kV2 = R"sql(
ALTER TABLE images ADD COLUMN boot_files TEXT NOT NULL DEFAULT '{}';
)sql";

constexpr std::array<std::string_view, 2> kMigrations{kV1, kV2};

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

void migrate_file_to(const std::string& path, int version) {
  sql::Database db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sql::Transaction tx(db);
  for (int v = static_cast<int>(db.pragma_int("user_version")); v < version; ++v) {
    db.exec(kMigrations.at(static_cast<std::size_t>(v)));
  }
  db.exec("PRAGMA user_version = " + std::to_string(version));
  tx.commit();
}

}  // namespace bk::db::schema
