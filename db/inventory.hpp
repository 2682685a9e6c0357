#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db/draft.hpp"
#include "db/errors.hpp"
#include "db/snapshot.hpp"

namespace bk::db {

// The inventory on disk: one SQLite file in WAL mode. Every SQL statement of the product lives
// behind this class, so that another store can take its place later.
//
// Reads of subnets, images and machines go through snapshot(), which never touches SQLite.
// Writes go through write(): a Draft of the current state is edited, checked by the rules, and
// committed in one transaction; then the new Snapshot is published.
class Inventory {
 public:
  // Opens `path`, creating it and migrating it to the current schema as needed. Throws DbError
  // whose message names the file, the problem and the fix.
  explicit Inventory(const std::string& path);
  ~Inventory();
  Inventory(const Inventory&) = delete;
  Inventory& operator=(const Inventory&) = delete;

  const std::string& path() const;
  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_.load(); }

  // Notices writes by other processes (PRAGMA data_version) and publishes a fresh Snapshot.
  // Returns true when it did. Cheap enough to call once a second.
  bool refresh();

  // Runs `edit` on a Draft inside one write transaction. Nothing is written when `edit` returns
  // errors or `dry_run` is set; otherwise the changes commit together and a new Snapshot is
  // published before this returns.
  using Edit = std::function<FieldErrors(Draft&)>;
  FieldErrors write(const Edit& edit, bool dry_run = false);

  // The write lock was not had within the time a caller allowed; nothing was written.
  class Busy : public DbError {
   public:
    using DbError::DbError;
  };
  // How long a write waits for the write lock unless its caller allows less.
  static constexpr std::chrono::milliseconds kWriteWait{10'000};
  // As write(), for a caller that must not wait long (a packet path): waits at most `wait` for
  // the write lock, behind this process's other users of the inventory and other processes'
  // write transactions alike, then throws Busy.
  FieldErrors write_within(std::chrono::milliseconds wait, const Edit& edit);

  // -- logs (not part of the Snapshot) --
  // Both writers below wait at most `wait` for the write lock, then throw Busy.
  void append_events(std::span<const Event> events, std::chrono::milliseconds wait = kWriteWait);
  struct EventQuery {
    std::optional<Mac> mac;
    std::string since;  // ISO 8601; events strictly after it
    std::size_t limit = 1000;
  };
  std::vector<Event> events(const EventQuery& q) const;
  std::size_t prune_events(const std::string& older_than);
  // Adds sightings of unregistered MACs (count + 1 each, last seen, what it said), in one
  // transaction.
  void record_discovered(std::span<const Discovered> sightings, std::chrono::milliseconds wait = kWriteWait);
  std::vector<Discovered> discovered() const;

  // -- API tokens: only a SHA-256 of each token is stored --
  // Returns the token text, which is shown once and cannot be recovered.
  std::string create_token(const std::string& name, Role role);
  std::optional<ApiToken> verify_token(std::string_view token);
  // False when no token has that id.
  bool revoke_token(Id id);
  std::vector<ApiToken> tokens() const;

  struct CheckReport {
    std::vector<std::string> problems;  // empty when sound
    int schema_version = 0;
    std::int64_t subnets = 0, images = 0, machines = 0, discovered = 0, events = 0, tokens = 0;
  };
  CheckReport check();

 private:
  // With the lock held and inside a transaction: publishes a fresh Snapshot when another
  // connection has written since the last one (PRAGMA data_version).
  bool reload_if_changed();
  // write() and write_within(): `wait` bounds the wait for the lock.
  FieldErrors write_waiting(const Edit& edit, bool dry_run, std::chrono::milliseconds wait);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
};

}  // namespace bk::db
