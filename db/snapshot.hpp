#pragma once
#include <cstdint>
#include <map>
#include <string_view>
#include <unordered_map>

#include "db/model.hpp"

namespace bk::db {

// An immutable picture of the inventory (subnets, images, machines) that the packet paths read
// without touching SQLite. Published by Inventory through an atomically swapped shared_ptr; a
// committed write publishes a new one.
class Snapshot {
 public:
  const Machine* machine_by_mac(Mac mac) const {
    const auto it = machines_.find(mac);
    return it == machines_.end() ? nullptr : &it->second;
  }
  const Machine* machine_by_ip(Ipv4 ip) const;
  const Machine* machine(Id id) const;
  const Subnet* subnet(Id id) const;
  const Subnet* subnet_by_name(std::string_view name) const;
  // The subnet whose network holds `ip` (subnets never overlap, so there is at most one).
  const Subnet* subnet_containing(Ipv4 ip) const;
  const Image* image(Id id) const;
  const Image* image_by_name(std::string_view name) const;
  // The image a machine boots: its own, else its subnet's default; nullptr when neither is set.
  const Image* image_for(const Machine& m) const;

  const std::unordered_map<Mac, Machine>& machines() const { return machines_; }
  const std::map<Id, Subnet>& subnets() const { return subnets_; }
  const std::map<Id, Image>& images() const { return images_; }

  // Grows by one with every published snapshot; caches of derived data key on it.
  std::uint64_t generation() const { return generation_; }

 private:
  friend class Draft;
  friend class SnapshotLoader;

  void insert(Machine m);
  void erase_machine(Id id);

  std::unordered_map<Mac, Machine> machines_;
  std::unordered_map<Ipv4, Mac> mac_by_ip_;
  std::unordered_map<Id, Mac> mac_by_id_;
  std::map<Id, Subnet> subnets_;
  std::map<Id, Image> images_;
  Id last_machine_id_ = 0;
  Id last_subnet_id_ = 0;
  Id last_image_id_ = 0;
  std::uint64_t generation_ = 0;
};

// Fills a Snapshot from stored rows, trusting them (they passed the rules when written).
class SnapshotLoader {
 public:
  void add(Subnet s);
  void add(Image i);
  void add(Machine m);
  Snapshot finish(std::uint64_t generation);

 private:
  Snapshot s_;
};

}  // namespace bk::db
