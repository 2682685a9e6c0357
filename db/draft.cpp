#include "db/draft.hpp"

#include <algorithm>

#include "db/names.hpp"

namespace bk::db {
namespace {

using K = FieldError::Kind;

std::string describe(const Machine& m) {
  return m.hostname + " (" + m.mac.str() + ")";
}
std::string describe(const Subnet& s) {
  return s.name + " (" + s.network.str() + ")";
}
std::string range(const Pool& p) {
  return p.start.str() + "-" + p.end.str();
}

bool is_printable(std::string_view s) {
  return is_printable_text(s);
}

void check_name(std::string_view name, FieldErrors& errors) {
  if (name.empty()) {
    errors.push_back({"name", "is required"});
  } else if (name.size() > 64 || !is_printable(name)) {
    errors.push_back({"name", "must be 1 to 64 printable characters of UTF-8 text"});
  }
}

}  // namespace

Draft::Draft(const Snapshot& base, std::string now) : s_(base), now_(std::move(now)) {}

FieldErrors Draft::check_machine(const Machine& m, const Subnet*& subnet) const {
  FieldErrors errors;
  if (m.id != 0 && s_.machine(m.id) == nullptr) {
    errors.push_back({"id", "names no machine", K::not_found});
    return errors;
  }
  if (!is_valid_hostname(m.hostname)) {
    errors.push_back({"hostname",
                      "is not a valid host name (RFC 1123: letters, digits and '-', "
                      "labels of 1 to 63 characters, 253 in all)"});
  }
  if (const Machine* other = s_.machine_by_mac(m.mac); other != nullptr && other->id != m.id) {
    errors.push_back({"mac", "is already registered as " + describe(*other), K::conflict});
  }
  if (const Machine* other = s_.machine_by_ip(m.ip); other != nullptr && other->id != m.id) {
    errors.push_back({"ip", "is already used by " + describe(*other), K::conflict});
  }
  subnet = s_.subnet_containing(m.ip);
  if (subnet == nullptr) {
    errors.push_back({"ip", m.ip.str() + " is in no subnet: add a subnet that contains it first"});
  } else if (subnet->network.is_reserved(m.ip)) {
    errors.push_back({"ip", "is the network or broadcast address of subnet " + describe(*subnet)});
  } else if (m.origin == Origin::registered && subnet->pool && subnet->pool->contains(m.ip)) {
    errors.push_back({"ip",
                      "is inside the pool of subnet " + describe(*subnet) + " (" + range(*subnet->pool) +
                          "): pick an address outside it or shrink the pool",
                      K::conflict});
  }
  if (m.image_id && s_.image(*m.image_id) == nullptr) {
    errors.push_back({"image", "names no image", K::not_found});
  }
  if (m.group.size() > 64 || !is_printable(m.group)) {
    errors.push_back(
        {"group", "must be at most 64 printable characters of UTF-8 text (save the file as UTF-8)"});
  }
  return errors;
}

FieldErrors Draft::put_machine(Machine& m) {
  const Subnet* subnet = nullptr;
  FieldErrors errors = check_machine(m, subnet);
  if (!errors.empty()) return errors;
  if (m.id == 0) {
    m.id = ++s_.last_machine_id_;
    m.created_at = now_;
  } else {
    m.created_at = s_.machine(m.id)->created_at;
    if (m.last_seen.empty()) m.last_seen = s_.machine(m.id)->last_seen;
    s_.erase_machine(m.id);
  }
  m.subnet_id = subnet->id;
  m.updated_at = now_;
  touched_.machines.insert(m.id);
  s_.insert(m);
  return {};
}

FieldErrors Draft::remove_machine(Id id) {
  if (s_.machine(id) == nullptr) return {{"id", "names no machine", K::not_found}};
  s_.erase_machine(id);
  touched_.machines.insert(id);
  return {};
}

FieldErrors Draft::check_subnet(const Subnet& s) const {
  FieldErrors errors;
  if (s.id != 0 && s_.subnet(s.id) == nullptr) return {{"id", "names no subnet", K::not_found}};
  check_name(s.name, errors);
  if (const Subnet* other = s_.subnet_by_name(s.name); other != nullptr && other->id != s.id) {
    errors.push_back({"name", "is already used by subnet " + describe(*other), K::conflict});
  }
  for (const auto& [id, other] : s_.subnets()) {
    if (id != s.id && other.network.overlaps(s.network)) {
      errors.push_back({"network", "overlaps subnet " + describe(other), K::conflict});
      break;
    }
  }
  const auto inside = [&](Ipv4 a) { return s.network.contains(a) && !s.network.is_reserved(a); };
  if (s.gateway && !inside(*s.gateway)) {
    errors.push_back({"gateway", "must be a host address inside " + s.network.str()});
  }
  if (s.pool) {
    if (!inside(s.pool->start)) {
      errors.push_back({"pool.start", "must be a host address inside " + s.network.str()});
    }
    if (!inside(s.pool->end)) {
      errors.push_back({"pool.end", "must be a host address inside " + s.network.str()});
    }
    if (s.pool->start > s.pool->end) errors.push_back({"pool.end", "comes before pool.start"});
  }
  if (s.domain.size() > 253 || (!s.domain.empty() && !is_valid_hostname(s.domain))) {
    errors.push_back({"domain", "is not a valid domain name"});
  }
  if (s.default_image_id && s_.image(*s.default_image_id) == nullptr) {
    errors.push_back({"default_image", "names no image", K::not_found});
  }
  // Registered machines must stay inside their subnet and outside its pool.
  for (const auto& [mac, m] : s_.machines()) {
    const bool ours = m.subnet_id == s.id && s.id != 0;
    if (ours && !s.network.contains(m.ip)) {
      errors.push_back({"network",
                        "would leave machine " + describe(m) + " at " + m.ip.str() + " outside the subnet",
                        K::conflict});
      break;
    }
    if (s.pool && s.pool->contains(m.ip) && m.origin == Origin::registered) {
      errors.push_back({"pool",
                        "overlaps registered machine " + describe(m) + " at " + m.ip.str() +
                            ": shrink the pool or move the machine",
                        K::conflict});
      break;
    }
  }
  return errors;
}

FieldErrors Draft::put_subnet(Subnet& s) {
  FieldErrors errors = check_subnet(s);
  if (!errors.empty()) return errors;
  if (s.id == 0) {
    s.id = ++s_.last_subnet_id_;
    s.created_at = now_;
  } else {
    s.created_at = s_.subnets_.at(s.id).created_at;
  }
  s.updated_at = now_;
  touched_.subnets.insert(s.id);
  s_.subnets_.insert_or_assign(s.id, s);
  return {};
}

FieldErrors Draft::remove_subnet(Id id) {
  const Subnet* s = s_.subnet(id);
  if (s == nullptr) return {{"id", "names no subnet", K::not_found}};
  std::size_t count = 0;
  const Machine* example = nullptr;
  for (const auto& [mac, m] : s_.machines()) {
    if (m.subnet_id == id) {
      ++count;
      example = &m;
    }
  }
  if (count > 0) {
    return {{"id",
             "subnet " + describe(*s) + " still has " + std::to_string(count) + " machine(s), e.g. " +
                 describe(*example) + ": delete or move them first",
             K::conflict}};
  }
  s_.subnets_.erase(id);
  touched_.subnets.insert(id);
  return {};
}

FieldErrors Draft::check_image(const Image& i) const {
  FieldErrors errors;
  if (i.id != 0 && s_.image(i.id) == nullptr) return {{"id", "names no image", K::not_found}};
  check_name(i.name, errors);
  if (const Image* other = s_.image_by_name(i.name); other != nullptr && other->id != i.id) {
    errors.push_back({"name", "is already used by another image", K::conflict});
  }
  if (const auto why = relative_path_problem(i.boot_file)) errors.push_back({"boot_file", *why});
  for (const auto& [arch, file] : i.boot_files) {
    const std::string field = "boot_files." + std::string(to_string(arch));
    // HTTP boot (RFC 4578 code 16, UEFI 2.5) loads its file by URL, not from the TFTP root.
    if (arch == ClientArch::http_x64) {
      if (!(file.starts_with("http://") || file.starts_with("https://")) || !is_printable(file) ||
          file.size() > 127) {
        errors.push_back({field, "must be an http:// or https:// URL of at most 127 printable characters"});
      }
    } else if (const auto why = relative_path_problem(file)) {
      errors.push_back({field, *why});
    }
  }
  if (!i.kernel.empty()) {
    if (const auto why = relative_path_problem(i.kernel)) errors.push_back({"kernel", *why});
  }
  if (!i.initrd.empty()) {
    if (const auto why = relative_path_problem(i.initrd)) errors.push_back({"initrd", *why});
  }
  if (!is_printable(i.cmdline) || i.cmdline.size() > 2048) {
    errors.push_back({"cmdline", "must be at most 2048 printable characters"});
  }
  if (!is_printable(i.root_path) || i.root_path.size() > 255) {
    errors.push_back({"root_path", "must be at most 255 printable characters"});
  }
  if (!is_printable(i.arch) || i.arch.size() > 32) {
    errors.push_back({"arch", "must be at most 32 printable characters"});
  }
  return errors;
}

FieldErrors Draft::put_image(Image& i) {
  FieldErrors errors = check_image(i);
  if (!errors.empty()) return errors;
  if (i.id == 0) {
    i.id = ++s_.last_image_id_;
    i.created_at = now_;
  } else {
    i.created_at = s_.images_.at(i.id).created_at;
  }
  i.updated_at = now_;
  touched_.images.insert(i.id);
  s_.images_.insert_or_assign(i.id, i);
  return {};
}

FieldErrors Draft::remove_image(Id id) {
  const Image* img = s_.image(id);
  if (img == nullptr) return {{"id", "names no image", K::not_found}};
  for (const auto& [mac, m] : s_.machines()) {
    if (m.image_id == id) {
      return {{"id",
               "image " + img->name + " is used by machine " + describe(m) +
                   ": give its machines another image first",
               K::conflict}};
    }
  }
  for (const auto& [sid, s] : s_.subnets()) {
    if (s.default_image_id == id) {
      return {{"id", "image " + img->name + " is the default image of subnet " + describe(s), K::conflict}};
    }
  }
  s_.images_.erase(id);
  touched_.images.insert(id);
  return {};
}

std::string address_hostname(const Subnet& s, Ipv4 ip) {
  return s.name + "-" + std::to_string(ip.bytes()[2]) + "-" + std::to_string(ip.bytes()[3]);
}

std::vector<Ipv4> free_addresses(const Snapshot& snap, const Subnet& s, std::size_t limit) {
  std::vector<Ipv4> out;
  const std::uint64_t first = s.network.network().value() + 1ULL;
  const std::uint64_t last = s.network.broadcast().value();
  for (std::uint64_t a = first; a < last && out.size() < limit; ++a) {
    const Ipv4 ip(static_cast<std::uint32_t>(a));
    if (s.network.is_reserved(ip) || snap.machine_by_ip(ip) != nullptr) continue;
    if (ip == s.gateway || ip == s.next_server || (s.pool && s.pool->contains(ip))) continue;
    out.push_back(ip);
  }
  return out;
}

std::optional<Machine> Draft::bind_pool(Mac mac, Id subnet_id) {
  if (const Machine* m = s_.machine_by_mac(mac)) return *m;
  const Subnet* subnet = s_.subnet(subnet_id);
  if (subnet == nullptr || !subnet->pool) return std::nullopt;
  for (std::uint64_t a = subnet->pool->start.value(); a <= subnet->pool->end.value(); ++a) {
    const Ipv4 ip(static_cast<std::uint32_t>(a));
    if (s_.machine_by_ip(ip) != nullptr || subnet->network.is_reserved(ip)) continue;
    Machine m;
    m.mac = mac;
    m.ip = ip;
    m.origin = Origin::pool;
    m.hostname = address_hostname(*subnet, ip);
    if (!is_valid_hostname(m.hostname)) m.hostname = "pool-" + mac.hex();
    m.image_id = subnet->default_image_id;
    if (!put_machine(m).empty()) return std::nullopt;
    return m;
  }
  return std::nullopt;
}

void Draft::touch_machine(Mac mac, const std::string& when) {
  const Machine* m = s_.machine_by_mac(mac);
  if (m == nullptr) return;
  Machine copy = *m;
  copy.last_seen = when;
  touched_.machines.insert(copy.id);
  s_.insert(std::move(copy));
}

Snapshot Draft::finish(std::uint64_t generation) && {
  s_.generation_ = generation;
  return std::move(s_);
}

}  // namespace bk::db
