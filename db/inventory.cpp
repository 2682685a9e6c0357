#include "db/inventory.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>

#include "db/digest.hpp"
#include "db/options_json.hpp"
#include "db/schema.hpp"
#include "db/sqlite.hpp"

namespace bk::db {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::optional<std::string> opt_text(const std::optional<Ipv4>& a) {
  return a ? std::optional<std::string>(a->str()) : std::nullopt;
}
std::optional<Ipv4> opt_ip(const sql::Statement& st, int col) {
  return st.is_null(col) ? std::nullopt : Ipv4::parse(st.text(col));
}
std::optional<Id> opt_id(const sql::Statement& st, int col) {
  return st.is_null(col) ? std::nullopt : std::optional<Id>(st.int64(col));
}
Options stored_options(const sql::Statement& st, int col, const std::string& where) {
  FieldErrors errors;
  Options o = options_from_json(nlohmann::json::parse(st.text(col), nullptr, false), where, errors);
  if (!errors.empty()) throw DbError("stored options of " + where + " are damaged: " + errors[0].message());
  return o;
}
std::map<ClientArch, std::string> stored_boot_files(const sql::Statement& st, int col,
                                                    const std::string& where) {
  FieldErrors errors;
  auto files =
      boot_files_from_json(nlohmann::json::parse(st.text(col), nullptr, false), "boot_files", errors);
  if (!errors.empty())
    throw DbError("stored boot files of " + where + " are damaged: " + errors[0].message());
  return files;
}

// Refuses, before SQLite is involved, the cases whose SQLite errors would not tell an
// administrator what to do.
void check_path(const std::string& path) {
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw DbError(path + ": directory " + dir.string() + " does not exist: create it (mkdir -p " +
                  dir.string() + ") or pass another --db");
  }
  if (fs::exists(p, ec)) {
    if (fs::is_directory(p, ec)) throw DbError(path + ": is a directory: pass a file path to --db");
    if (::access(path.c_str(), R_OK | W_OK) != 0) {
      throw DbError(path + ": is not writable: fix its permissions (chmod u+rw " + path +
                    ") or run as its owner");
    }
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw DbError(path + ": directory " + dir.string() +
                  " is not writable (SQLite keeps its -wal and -shm files there): fix its permissions");
  }
}

}  // namespace

struct Inventory::Impl {
  std::timed_mutex mu;  // serialises all use of `db`
  sql::Database db;
  std::int64_t data_version = 0;
  std::uint64_t generation = 0;

  Snapshot load();
  void write_rows(const Draft& d);
  class WriteTx;
};

// This process's lock on the inventory and a write transaction, both had within `wait`: first
// `mu` (this process's other users of the inventory), then another connection's write
// transaction (BEGIN IMMEDIATE is the only statement that waits for it). Throws Busy, naming
// `path`, when either takes longer; nothing is then held. The members' order makes the
// transaction end (commit or roll back) before the lock is released.
class Inventory::Impl::WriteTx {
 public:
  WriteTx(Impl& impl, milliseconds wait, const std::string& path) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    lock_ = std::unique_lock(impl.mu, deadline);
    if (!lock_.owns_lock()) {
      throw Busy(path + ": busy: another write of this process held the inventory for over " +
                 std::to_string(wait.count()) + " ms; nothing was written");
    }
    const auto left = std::max(std::chrono::ceil<milliseconds>(deadline - std::chrono::steady_clock::now()),
                               milliseconds(0));
    sqlite3* handle = impl.db.handle();
    sqlite3_busy_timeout(handle, static_cast<int>(left.count()));
    try {
      tx_.emplace(impl.db);
    } catch (const DbError&) {
      const bool busy = (sqlite3_errcode(handle) & 0xFF) == SQLITE_BUSY;
      sqlite3_busy_timeout(handle, static_cast<int>(kWriteWait.count()));
      if (!busy) throw;
      throw Busy(path + ": busy: another process held the inventory's write lock for over " +
                 std::to_string(wait.count()) + " ms; nothing was written");
    }
    sqlite3_busy_timeout(handle, static_cast<int>(kWriteWait.count()));
  }
  void commit() { tx_->commit(); }

 private:
  std::unique_lock<std::timed_mutex> lock_;
  std::optional<sql::Transaction> tx_;
};

Snapshot Inventory::Impl::load() {
  SnapshotLoader loader;
  {
    sql::Statement st(db,
                      "SELECT id, name, kind, boot_file, arch, kernel, initrd, cmdline, root_path, "
                      "size, sha256, options, created_at, updated_at, boot_files FROM images");
    while (st.step()) {
      Image i;
      i.id = st.int64(0);
      i.name = st.text(1);
      i.kind = parse_image_kind(st.text(2)).value_or(ImageKind::raw);
      i.boot_file = st.text(3);
      i.arch = st.text(4);
      i.kernel = st.text(5);
      i.initrd = st.text(6);
      i.cmdline = st.text(7);
      i.root_path = st.text(8);
      i.size = opt_id(st, 9);
      i.sha256 = st.text(10);
      i.options = stored_options(st, 11, "image " + i.name);
      i.created_at = st.text(12);
      i.updated_at = st.text(13);
      i.boot_files = stored_boot_files(st, 14, "image " + i.name);
      loader.add(std::move(i));
    }
  }
  {
    sql::Statement st(db,
                      "SELECT id, name, network, gateway, dns, domain, next_server, pool_start, "
                      "pool_end, default_image_id, options, created_at, updated_at FROM subnets");
    while (st.step()) {
      Subnet s;
      s.id = st.int64(0);
      s.name = st.text(1);
      const auto network = Cidr::parse(st.text(2));
      if (!network) throw DbError("stored network of subnet " + s.name + " is damaged: " + st.text(2));
      s.network = *network;
      s.gateway = opt_ip(st, 3);
      for (const auto& d : nlohmann::json::parse(st.text(4), nullptr, false)) {
        if (d.is_string()) {
          if (auto ip = Ipv4::parse(d.get<std::string>())) s.dns.push_back(*ip);
        }
      }
      s.domain = st.text(5);
      s.next_server = opt_ip(st, 6);
      const auto ps = opt_ip(st, 7);
      const auto pe = opt_ip(st, 8);
      if (ps && pe) s.pool = Pool{*ps, *pe};
      s.default_image_id = opt_id(st, 9);
      s.options = stored_options(st, 10, "subnet " + s.name);
      s.created_at = st.text(11);
      s.updated_at = st.text(12);
      loader.add(std::move(s));
    }
  }
  {
    sql::Statement st(db,
                      "SELECT id, mac, hostname, ip, subnet_id, image_id, enabled, group_label, "
                      "options, origin, last_seen, created_at, updated_at FROM machines");
    while (st.step()) {
      Machine m;
      m.id = st.int64(0);
      m.mac = Mac::parse(st.text(1)).value_or(Mac{});
      m.hostname = st.text(2);
      m.ip = Ipv4::parse(st.text(3)).value_or(Ipv4{});
      m.subnet_id = st.int64(4);
      m.image_id = opt_id(st, 5);
      m.enabled = st.int64(6) != 0;
      m.group = st.text(7);
      m.options = stored_options(st, 8, "machine " + m.mac.str());
      m.origin = parse_origin(st.text(9)).value_or(Origin::registered);
      m.last_seen = st.text(10);
      m.created_at = st.text(11);
      m.updated_at = st.text(12);
      loader.add(std::move(m));
    }
  }
  return loader.finish(++generation);
}

namespace {
// Before any upsert of a table: delete its rows that went, and move the unique columns of the
// rows that change out of the way, so that no intermediate state collides (two names swapped,
// an address or network taken over from a row deleted or changed in the same write).
template <typename Exists>
void clear_the_way(sql::Database& db, const std::string& table, const std::string& park,
                   const std::set<Id>& ids, Exists exists) {
  sql::Statement del(db, "DELETE FROM " + table + " WHERE id = ?1");
  sql::Statement move(db, "UPDATE " + table + " SET " + park + " WHERE id = ?1");
  for (const Id id : ids) {
    sql::Statement& st = exists(id) ? move : del;
    st.bind(1, id).run();
    st.reset();
  }
}
}  // namespace

void Inventory::Impl::write_rows(const Draft& d) {
  const Snapshot& s = d.state();
  const auto& t = d.touched();
  // Rows refer to each other (machine -> subnet -> image); checks wait for COMMIT.
  db.exec("PRAGMA defer_foreign_keys = ON");
  clear_the_way(db, "images", "name = '~' || id", t.images, [&](Id id) { return s.image(id) != nullptr; });
  clear_the_way(db, "subnets", "name = '~' || id, network = '~' || id", t.subnets,
                [&](Id id) { return s.subnet(id) != nullptr; });
  clear_the_way(db, "machines", "mac = '~' || id, ip = '~' || id", t.machines,
                [&](Id id) { return s.machine(id) != nullptr; });
  if (!t.images.empty()) {
    sql::Statement up(
        db,
        "INSERT INTO images (id, name, kind, boot_file, arch, kernel, initrd, cmdline, root_path, size, "
        "sha256, options, created_at, updated_at, boot_files) VALUES "
        "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15) "
        "ON CONFLICT(id) DO UPDATE SET name=?2, kind=?3, boot_file=?4, arch=?5, kernel=?6, initrd=?7, "
        "cmdline=?8, root_path=?9, size=?10, sha256=?11, options=?12, updated_at=?14, boot_files=?15");
    for (const Id id : t.images) {
      const Image* i = s.image(id);
      if (i == nullptr) continue;
      up.bind(1, i->id)
          .bind(2, i->name)
          .bind(3, to_string(i->kind))
          .bind(4, i->boot_file)
          .bind(5, i->arch)
          .bind(6, i->kernel)
          .bind(7, i->initrd)
          .bind(8, i->cmdline)
          .bind(9, i->root_path)
          .bind(11, i->sha256)
          .bind(12, options_to_json(i->options).dump())
          .bind(13, i->created_at)
          .bind(14, i->updated_at)
          .bind(15, boot_files_to_json(i->boot_files).dump());
      if (i->size)
        up.bind(10, *i->size);
      else
        up.bind_null(10);
      up.run();
      up.reset();
    }
  }
  if (!t.subnets.empty()) {
    sql::Statement up(
        db,
        "INSERT INTO subnets (id, name, network, gateway, dns, domain, next_server, pool_start, pool_end, "
        "default_image_id, options, created_at, updated_at) VALUES "
        "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13) "
        "ON CONFLICT(id) DO UPDATE SET name=?2, network=?3, gateway=?4, dns=?5, domain=?6, next_server=?7, "
        "pool_start=?8, pool_end=?9, default_image_id=?10, options=?11, updated_at=?13");
    for (const Id id : t.subnets) {
      const Subnet* n = s.subnet(id);
      if (n == nullptr) continue;
      nlohmann::json dns = nlohmann::json::array();
      for (const auto& a : n->dns)
        dns.push_back(a.str());
      up.bind(1, n->id)
          .bind(2, n->name)
          .bind(3, n->network.str())
          .bind(4, opt_text(n->gateway))
          .bind(5, dns.dump())
          .bind(6, n->domain)
          .bind(7, opt_text(n->next_server))
          .bind(8, opt_text(n->pool ? std::optional(n->pool->start) : std::nullopt))
          .bind(9, opt_text(n->pool ? std::optional(n->pool->end) : std::nullopt))
          .bind(11, options_to_json(n->options).dump())
          .bind(12, n->created_at)
          .bind(13, n->updated_at);
      if (n->default_image_id)
        up.bind(10, *n->default_image_id);
      else
        up.bind_null(10);
      up.run();
      up.reset();
    }
  }
  if (!t.machines.empty()) {
    sql::Statement up(
        db,
        "INSERT INTO machines (id, mac, hostname, ip, subnet_id, image_id, enabled, group_label, options, "
        "origin, last_seen, created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13) "
        "ON CONFLICT(id) DO UPDATE SET mac=?2, hostname=?3, ip=?4, subnet_id=?5, image_id=?6, enabled=?7, "
        "group_label=?8, options=?9, origin=?10, last_seen=?11, updated_at=?13");
    for (const Id id : t.machines) {
      const Machine* m = s.machine(id);
      if (m == nullptr) continue;
      up.bind(1, m->id)
          .bind(2, m->mac.str())
          .bind(3, m->hostname)
          .bind(4, m->ip.str())
          .bind(5, m->subnet_id)
          .bind(7, std::int64_t{m->enabled ? 1 : 0})
          .bind(8, m->group)
          .bind(9, options_to_json(m->options).dump())
          .bind(10, to_string(m->origin))
          .bind(11, m->last_seen)
          .bind(12, m->created_at)
          .bind(13, m->updated_at);
      if (m->image_id)
        up.bind(6, *m->image_id);
      else
        up.bind_null(6);
      up.run();
      up.reset();
    }
  }
}

Inventory::Inventory(const std::string& path) : impl_(std::make_unique<Impl>()) {
  check_path(path);
  impl_->db = sql::Database(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX);
  auto& db = impl_->db;
  sqlite3_busy_timeout(db.handle(), static_cast<int>(kWriteWait.count()));
  // The first read of the header tells a foreign file apart.
  if (sqlite3_exec(db.handle(), "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    const int rc = sqlite3_errcode(db.handle());
    if ((rc & 0xFF) == SQLITE_NOTADB) {
      throw DbError(path +
                    ": is not a SQLite database: move it away, or pass --db with the path of "
                    "a Bootkeeper inventory");
    }
    db.fail("cannot read");
  }
  const auto version = db.pragma_int("user_version");
  const int known = schema::current_version();
  if (version > known) {
    throw DbError(path + ": was written by a newer Bootkeeper (schema version " + std::to_string(version) +
                  "; this bootkeeperd knows up to " + std::to_string(known) +
                  "): upgrade bootkeeperd, or restore a backup made by this version");
  }
  if (version == 0) {
    // An empty file, or one that some other program made: only the first is ours to fill.
    sql::Statement st(db, "SELECT count(*) FROM sqlite_schema");
    if (st.step() && st.int64(0) > 0) {
      throw DbError(path +
                    ": is a SQLite database of another program (it has tables but no "
                    "Bootkeeper schema version): pass --db with another path");
    }
  }
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  if (version < known) {
    sql::Transaction tx(db);
    // Re-read inside the write lock: another process may have migrated meanwhile.
    for (auto v = db.pragma_int("user_version"); v < known; ++v) {
      db.exec(schema::migrations()[static_cast<std::size_t>(v)]);
    }
    db.exec("PRAGMA user_version = " + std::to_string(known));
    tx.commit();
  }
  impl_->data_version = db.pragma_int("data_version");
  snapshot_.store(std::make_shared<const Snapshot>(impl_->load()));
}

Inventory::~Inventory() = default;

const std::string& Inventory::path() const {
  return impl_->db.path();
}

bool Inventory::reload_if_changed() {
  const auto v = impl_->db.pragma_int("data_version");
  if (v == impl_->data_version) return false;
  impl_->data_version = v;
  snapshot_.store(std::make_shared<const Snapshot>(impl_->load()));
  return true;
}

bool Inventory::refresh() {
  std::lock_guard lock(impl_->mu);
  sql::Transaction tx(impl_->db, false);  // one consistent read of all three tables
  const bool changed = reload_if_changed();
  tx.commit();
  return changed;
}

FieldErrors Inventory::write(const Edit& edit, bool dry_run) {
  return write_waiting(edit, dry_run, kWriteWait);
}

FieldErrors Inventory::write_within(milliseconds wait, const Edit& edit) {
  return write_waiting(edit, false, wait);
}

FieldErrors Inventory::write_waiting(const Edit& edit, bool dry_run, milliseconds wait) {
  Impl::WriteTx tx(*impl_, wait, path());
  // Holding the write lock, pick up whatever another process committed before editing.
  reload_if_changed();
  Draft draft(*snapshot_.load(), utc_now());
  FieldErrors errors = edit(draft);
  if (!errors.empty() || dry_run || draft.touched().empty()) return errors;
  impl_->write_rows(draft);
  tx.commit();
  snapshot_.store(std::make_shared<const Snapshot>(std::move(draft).finish(++impl_->generation)));
  return {};
}

void Inventory::append_events(std::span<const Event> events, milliseconds wait) {
  if (events.empty()) return;
  Impl::WriteTx tx(*impl_, wait, path());
  sql::Statement st(impl_->db, "INSERT INTO events (at, kind, mac, ip, detail) VALUES (?1,?2,?3,?4,?5)");
  for (const Event& e : events) {
    st.bind(1, e.at.empty() ? utc_now() : e.at)
        .bind(2, e.kind)
        .bind(3, e.mac ? std::optional(e.mac->str()) : std::nullopt)
        .bind(4, opt_text(e.ip))
        .bind(5, e.detail.empty() ? std::string("{}") : e.detail);
    st.run();
    st.reset();
  }
  tx.commit();
}

std::vector<Event> Inventory::events(const EventQuery& q) const {
  std::lock_guard lock(impl_->mu);
  sql::Statement st(impl_->db,
                    "SELECT id, at, kind, mac, ip, detail FROM events WHERE (?1 IS NULL OR mac = ?1) "
                    "AND at > ?2 ORDER BY id LIMIT ?3");
  st.bind(1, q.mac ? std::optional(q.mac->str()) : std::nullopt)
      .bind(2, q.since)
      .bind(3, static_cast<std::int64_t>(q.limit));
  std::vector<Event> out;
  while (st.step()) {
    Event e;
    e.id = st.int64(0);
    e.at = st.text(1);
    e.kind = st.text(2);
    if (!st.is_null(3)) e.mac = Mac::parse(st.text(3));
    e.ip = opt_ip(st, 4);
    e.detail = st.text(5);
    out.push_back(std::move(e));
  }
  return out;
}

std::size_t Inventory::prune_events(const std::string& older_than) {
  std::lock_guard lock(impl_->mu);
  sql::Statement st(impl_->db, "DELETE FROM events WHERE at < ?1");
  st.bind(1, older_than).run();
  return static_cast<std::size_t>(sqlite3_changes(impl_->db.handle()));
}

void Inventory::record_discovered(std::span<const Discovered> sightings, milliseconds wait) {
  if (sightings.empty()) return;
  Impl::WriteTx tx(*impl_, wait, path());
  sql::Statement st(impl_->db,
                    "INSERT INTO discovered (mac, first_seen, last_seen, count, relay, vendor_class, "
                    "client_arch, hostname) "
                    "VALUES (?1, ?2, ?2, 1, ?3, ?4, ?5, ?6) ON CONFLICT(mac) DO UPDATE SET last_seen = ?2, "
                    "count = count + 1, relay = ?3, vendor_class = ?4, client_arch = ?5, hostname = ?6");
  for (const Discovered& d : sightings) {
    st.bind(1, d.mac.str())
        .bind(2, d.last_seen.empty() ? utc_now() : d.last_seen)
        .bind(3, opt_text(d.relay))
        .bind(4, d.vendor_class)
        .bind(6, d.hostname);
    if (d.client_arch) {
      st.bind(5, std::int64_t{*d.client_arch});
    } else {
      st.bind_null(5);
    }
    st.run();
    st.reset();
  }
  tx.commit();
}

std::vector<Discovered> Inventory::discovered() const {
  std::lock_guard lock(impl_->mu);
  sql::Statement st(impl_->db,
                    "SELECT mac, first_seen, last_seen, count, relay, vendor_class, "
                    "client_arch, hostname FROM discovered ORDER BY last_seen DESC");
  std::vector<Discovered> out;
  while (st.step()) {
    Discovered d;
    d.mac = Mac::parse(st.text(0)).value_or(Mac{});
    d.first_seen = st.text(1);
    d.last_seen = st.text(2);
    d.count = st.int64(3);
    d.relay = opt_ip(st, 4);
    d.vendor_class = st.text(5);
    if (!st.is_null(6)) d.client_arch = static_cast<int>(st.int64(6));
    d.hostname = st.text(7);
    out.push_back(std::move(d));
  }
  return out;
}

std::string Inventory::create_token(const std::string& name, Role role) {
  if (name.empty() || name.size() > 64) {
    throw RuleViolation(FieldErrors{{"name", "must be 1 to 64 characters"}});
  }
  std::string token = "bk_" + random_token(32);
  std::lock_guard lock(impl_->mu);
  sql::Transaction tx(impl_->db);
  sql::Statement taken(impl_->db, "SELECT 1 FROM api_tokens WHERE name = ?1");
  if (taken.bind(1, name).step()) {
    throw RuleViolation(
        FieldErrors{{"name", "is already used by another token", FieldError::Kind::conflict}});
  }
  sql::Statement st(impl_->db, "INSERT INTO api_tokens (name, role, hash, created_at) VALUES (?1,?2,?3,?4)");
  st.bind(1, name).bind(2, to_string(role)).bind(3, sha256_hex(token)).bind(4, utc_now()).run();
  tx.commit();
  return token;
}

bool Inventory::revoke_token(Id id) {
  std::lock_guard lock(impl_->mu);
  sql::Statement st(impl_->db, "DELETE FROM api_tokens WHERE id = ?1");
  st.bind(1, id).run();
  return sqlite3_changes(impl_->db.handle()) > 0;
}

std::optional<ApiToken> Inventory::verify_token(std::string_view token) {
  const std::string hash = sha256_hex(token);
  std::lock_guard lock(impl_->mu);
  sql::Statement st(impl_->db,
                    "SELECT id, name, role, hash, created_at, last_used FROM api_tokens WHERE hash = ?1");
  st.bind(1, hash);
  if (!st.step() || !constant_time_equal(st.text(3), hash)) return std::nullopt;
  ApiToken t;
  t.id = st.int64(0);
  t.name = st.text(1);
  t.role = parse_role(st.text(2)).value_or(Role::viewer);
  t.created_at = st.text(4);
  t.last_used = st.text(5);
  return t;
}

std::vector<ApiToken> Inventory::tokens() const {
  std::lock_guard lock(impl_->mu);
  sql::Statement st(impl_->db, "SELECT id, name, role, created_at, last_used FROM api_tokens ORDER BY name");
  std::vector<ApiToken> out;
  while (st.step()) {
    out.push_back(
        {st.int64(0), st.text(1), parse_role(st.text(2)).value_or(Role::viewer), st.text(3), st.text(4)});
  }
  return out;
}

Inventory::CheckReport Inventory::check() {
  std::lock_guard lock(impl_->mu);
  auto& db = impl_->db;
  CheckReport r;
  r.schema_version = static_cast<int>(db.pragma_int("user_version"));
  {
    sql::Statement st(db, "PRAGMA integrity_check");
    while (st.step()) {
      if (st.text(0) != "ok") r.problems.push_back("integrity: " + st.text(0));
    }
  }
  {
    sql::Statement st(db, "PRAGMA foreign_key_check");
    while (st.step()) {
      r.problems.push_back("foreign key: row " + std::to_string(st.int64(1)) + " of " + st.text(0) +
                           " refers to a missing row of " + st.text(2));
    }
  }
  const auto count = [&](const char* table) {
    sql::Statement st(db, std::string("SELECT count(*) FROM ") + table);
    return st.step() ? st.int64(0) : 0;
  };
  r.subnets = count("subnets");
  r.images = count("images");
  r.machines = count("machines");
  r.discovered = count("discovered");
  r.events = count("events");
  r.tokens = count("api_tokens");
  return r;
}

}  // namespace bk::db
