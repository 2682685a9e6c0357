#pragma once
#include <optional>
#include <set>
#include <string>

#include "db/errors.hpp"
#include "db/snapshot.hpp"

namespace bk::db {

// A private copy of the inventory that a write changes step by step. Every inventory rule is
// checked here, and only here, against the draft as it stands, so that a batch (an import) is
// judged row by row with the rows before it already applied. Inventory commits a draft in one
// transaction or throws it away; the API, the importers and the BOOTP pool binder all edit
// through it.
class Draft {
 public:
  Draft(const Snapshot& base, std::string now);

  // id 0 creates (the new id is written back); another id replaces that row. Errors name fields
  // without a prefix ("ip", "pool.start"); nothing changes when there are any.
  FieldErrors put_subnet(Subnet& s);
  FieldErrors put_image(Image& i);
  // The subnet follows from the address: subnet_id is set here.
  FieldErrors put_machine(Machine& m);
  FieldErrors remove_subnet(Id id);
  FieldErrors remove_image(Id id);
  FieldErrors remove_machine(Id id);

  // Binds `mac` permanently to the lowest free address of the subnet's pool (a machine with
  // origin=pool), or returns the address it already has. nullopt when the pool is exhausted.
  std::optional<Machine> bind_pool(Mac mac, Id subnet_id);

  // Records that a machine asked (last_seen), without further rules.
  void touch_machine(Mac mac, const std::string& when);

  const Snapshot& state() const { return s_; }
  const std::string& now() const { return now_; }

  // Rows that changed, for the SQL write: a touched id that no longer exists was deleted.
  struct Touched {
    std::set<Id> subnets, images, machines;
    bool empty() const { return subnets.empty() && images.empty() && machines.empty(); }
  };
  const Touched& touched() const { return touched_; }

  Snapshot finish(std::uint64_t generation) &&;

 private:
  FieldErrors check_machine(const Machine& m, const Subnet*& subnet) const;
  FieldErrors check_subnet(const Subnet& s) const;
  FieldErrors check_image(const Image& i) const;

  Snapshot s_;
  std::string now_;
  Touched touched_;
};

// The host name a machine gets from its address when nobody names it: "lab-0-100" for
// 198.18.0.100 in subnet lab (pool bindings, and the GUI's suggestion for a discovered machine).
std::string address_hostname(const Subnet& s, Ipv4 ip);

// The lowest addresses of `s` that a machine may be registered at: not its network, broadcast,
// gateway or next server, not in its pool, not taken.
std::vector<Ipv4> free_addresses(const Snapshot& snap, const Subnet& s, std::size_t limit);

}  // namespace bk::db
