#include "db/snapshot.hpp"

#include <algorithm>

namespace bk::db {

const Machine* Snapshot::machine_by_ip(Ipv4 ip) const {
  const auto it = mac_by_ip_.find(ip);
  return it == mac_by_ip_.end() ? nullptr : machine_by_mac(it->second);
}

const Machine* Snapshot::machine(Id id) const {
  const auto it = mac_by_id_.find(id);
  return it == mac_by_id_.end() ? nullptr : machine_by_mac(it->second);
}

const Subnet* Snapshot::subnet(Id id) const {
  const auto it = subnets_.find(id);
  return it == subnets_.end() ? nullptr : &it->second;
}

const Subnet* Snapshot::subnet_by_name(std::string_view name) const {
  for (const auto& [id, s] : subnets_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const Subnet* Snapshot::subnet_containing(Ipv4 ip) const {
  for (const auto& [id, s] : subnets_) {
    if (s.network.contains(ip)) return &s;
  }
  return nullptr;
}

const Image* Snapshot::image_for(const Machine& m) const {
  if (m.image_id) return image(*m.image_id);
  const Subnet* s = subnet(m.subnet_id);
  return s != nullptr && s->default_image_id ? image(*s->default_image_id) : nullptr;
}

const Image* Snapshot::image(Id id) const {
  const auto it = images_.find(id);
  return it == images_.end() ? nullptr : &it->second;
}

const Image* Snapshot::image_by_name(std::string_view name) const {
  for (const auto& [id, i] : images_) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

void Snapshot::insert(Machine m) {
  last_machine_id_ = std::max(last_machine_id_, m.id);
  mac_by_ip_[m.ip] = m.mac;
  mac_by_id_[m.id] = m.mac;
  const Mac mac = m.mac;
  machines_.insert_or_assign(mac, std::move(m));
}

void Snapshot::erase_machine(Id id) {
  const auto it = mac_by_id_.find(id);
  if (it == mac_by_id_.end()) return;
  const auto m = machines_.find(it->second);
  mac_by_ip_.erase(m->second.ip);
  machines_.erase(m);
  mac_by_id_.erase(it);
}

void SnapshotLoader::add(Subnet s) {
  s_.last_subnet_id_ = std::max(s_.last_subnet_id_, s.id);
  const Id id = s.id;
  s_.subnets_.emplace(id, std::move(s));
}

void SnapshotLoader::add(Image i) {
  s_.last_image_id_ = std::max(s_.last_image_id_, i.id);
  const Id id = i.id;
  s_.images_.emplace(id, std::move(i));
}

void SnapshotLoader::add(Machine m) {
  if (s_.machines_.empty()) s_.machines_.reserve(1024);
  s_.insert(std::move(m));
}

Snapshot SnapshotLoader::finish(std::uint64_t generation) {
  s_.generation_ = generation;
  return std::move(s_);
}

}  // namespace bk::db
