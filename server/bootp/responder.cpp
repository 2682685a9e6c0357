#include "server/bootp/responder.hpp"

#include <algorithm>
#include <array>

namespace bk::bootp {
namespace {

using db::Options;

// The reply's options in the order the issue lists them; anything else configured follows by
// code. When the vendor area is too small, options leave from the end of this order.
constexpr std::array<std::uint8_t, 13> kOrder{1, 3, 6, 12, 15, 17, 13, 16, 18, 28, 42, 66, 67};
// Never left out to make room.
constexpr std::array<std::uint8_t, 4> kEssential{1, 3, 12, 13};

constexpr std::uint8_t kMaxMessageSize = 57;
constexpr std::size_t kIpUdpHeaders = 28;

std::vector<std::uint8_t> ip_bytes(Ipv4 a) {
  const auto b = a.bytes();
  return {b.begin(), b.end()};
}

void merge(Options& into, const Options& from) {
  for (const auto& [code, value] : from)
    into[code] = value;
}

std::size_t wire_size(const std::vector<std::uint8_t>& value) {
  const std::size_t chunks = value.empty() ? 1 : (value.size() + 254) / 255;
  return 2 * chunks + value.size();
}

bool is_essential(std::uint8_t code) {
  return std::find(kEssential.begin(), kEssential.end(), code) != kEssential.end();
}

// Room for options in the reply's vendor area: 64 bytes for BOOTP (RFC 951) unless the client
// said it takes more (option 57), less the cookie and End.
std::size_t option_budget(const Packet& request) {
  std::size_t vend = kBootpVendorSize;
  if (const auto max = request.options.u16(kMaxMessageSize); max && *max >= 576) {
    vend = std::max<std::size_t>(vend, *max - kIpUdpHeaders - kHeaderSize);
  }
  return vend - kMagicCookie.size() - 1;
}

// Orders the options and drops the least important until they fit.
std::vector<std::uint8_t> fit(const Options& opts, std::size_t budget) {
  std::vector<std::uint8_t> order;
  for (const auto code : kOrder) {
    if (opts.count(code) != 0) order.push_back(code);
  }
  for (const auto& [code, value] : opts) {
    if (std::find(kOrder.begin(), kOrder.end(), code) == kOrder.end()) order.push_back(code);
  }
  std::size_t total = 0;
  for (const auto code : order)
    total += wire_size(opts.at(code));
  for (auto it = order.end(); total > budget && it != order.begin();) {
    --it;
    if (is_essential(*it)) continue;
    total -= wire_size(opts.at(*it));
    it = order.erase(it);
  }
  return order;
}

}  // namespace

std::string_view to_string(Drop d) {
  static constexpr std::array<std::string_view, static_cast<std::size_t>(Drop::count_)> kNames{
      "none",           "malformed",      "not_request", "not_ethernet", "too_many_hops", "other_server",
      "unknown_client", "pool_exhausted", "disabled",    "unknown_file", "no_subnet",     "rate_limited"};
  return kNames[static_cast<std::size_t>(d)];
}

Route route_reply(const Packet& request, const Packet& reply, const Arrival& arrival) {
  Route r;
  r.interface_index = arrival.interface_index;
  if (!request.giaddr.is_zero()) {
    r.kind = Route::Kind::relay;
    r.address = request.giaddr;
    r.port = 67;
  } else if (!request.ciaddr.is_zero()) {
    r.kind = Route::Kind::client_ciaddr;
    r.address = request.ciaddr;
  } else if (request.broadcast()) {
    r.kind = Route::Kind::broadcast;
    r.address = Ipv4(0xFFFF'FFFFu);
  } else {
    r.kind = Route::Kind::unicast_arp;
    r.address = reply.yiaddr;
  }
  return r;
}

const db::Subnet* Responder::request_subnet(const Packet& request, const Arrival& arrival,
                                            const db::Snapshot& snap) {
  return snap.subnet_containing(request.giaddr.is_zero() ? arrival.local_address : request.giaddr);
}

Decision Responder::decide(const Packet& request, const Arrival& arrival, const db::Snapshot& snap) const {
  Decision d;
  d.kind = Decision::Kind::drop;
  if (request.op != kBootRequest) {
    d.drop = Drop::not_request;
    return d;
  }
  if (request.htype != 1 || request.hlen != 6) {
    d.drop = Drop::not_ethernet;
    return d;
  }
  if (request.hops > settings_.max_hops) {
    d.drop = Drop::too_many_hops;
    return d;
  }
  const auto sname = request.sname_text();
  if (!sname.empty() && sname != settings_.server_name) {
    d.drop = Drop::other_server;
    return d;
  }
  const db::Machine* m = snap.machine_by_mac(request.mac());
  if (m == nullptr) {
    const db::Subnet* subnet = request_subnet(request, arrival, snap);
    d.subnet_id = subnet != nullptr ? subnet->id : 0;
    if (subnet != nullptr && subnet->pool) {
      d.kind = Decision::Kind::bind_pool;
      d.note = "unknown client: binding an address from the pool of subnet " + subnet->name;
    } else {
      d.kind = Decision::Kind::record_discovered;
      d.drop = Drop::unknown_client;
      d.note = "unknown client; no pool on " +
               (subnet != nullptr ? "subnet " + subnet->name : std::string("this segment"));
    }
    return d;
  }
  d.machine = m;
  if (!m->enabled) {
    d.drop = Drop::disabled;
    d.note = "machine " + m->hostname + " is disabled";
    return d;
  }
  return answer(request, arrival, snap, *m);
}

Decision Responder::answer(const Packet& request, const Arrival& arrival, const db::Snapshot& snap,
                           const db::Machine& m) const {
  Decision d;
  d.machine = &m;
  const db::Subnet* subnet = snap.subnet(m.subnet_id);
  const db::Image* image = m.image_id ? snap.image(*m.image_id) : nullptr;
  if (image == nullptr && subnet != nullptr && subnet->default_image_id) {
    image = snap.image(*subnet->default_image_id);
  }

  // RFC 951 §7.2: no name or a generic one gets the machine's own boot file; another image's
  // name gets that image's file; a path in the store is served as asked; anything else is for
  // some other server to answer.
  std::string boot_file;
  const auto asked = request.file_text();
  const auto basename = [](std::string_view p) {
    const auto slash = p.rfind('/');
    return slash == std::string_view::npos ? p : p.substr(slash + 1);
  };
  if (asked.empty() || (image != nullptr && (asked == image->name || asked == image->boot_file ||
                                             asked == basename(image->boot_file)))) {
    if (image != nullptr) boot_file = image->boot_file;
  } else if (const db::Image* named = snap.image_by_name(asked)) {
    boot_file = named->boot_file;
  } else if (files_.size && files_.size(asked)) {
    boot_file = std::string(asked);
  } else {
    d.kind = Decision::Kind::drop;
    d.drop = Drop::unknown_file;
    d.note =
        "asked for boot file \"" + std::string(asked.substr(0, 128)) + "\", which no image and no file has";
    return d;
  }

  Packet& r = d.reply;
  r.op = kBootReply;
  r.htype = request.htype;
  r.hlen = request.hlen;
  r.hops = request.hops;
  r.xid = request.xid;
  r.secs = request.secs;
  r.flags = request.flags;
  r.ciaddr = request.ciaddr;
  r.yiaddr = m.ip;
  r.giaddr = request.giaddr;
  r.chaddr = request.chaddr;
  r.siaddr = subnet != nullptr && subnet->next_server ? *subnet->next_server : arrival.local_address;
  r.set_sname(settings_.server_name);
  r.set_file(boot_file);
  r.cookie = request.cookie || request.vendor_blank;

  if (r.cookie) {
    Options opts = settings_.defaults;
    if (subnet != nullptr) {
      opts[1] = ip_bytes(subnet->network.mask());
      if (subnet->gateway) opts[3] = ip_bytes(*subnet->gateway);
      if (!subnet->dns.empty()) {
        std::vector<std::uint8_t> dns;
        for (const auto& a : subnet->dns) {
          const auto b = a.bytes();
          dns.insert(dns.end(), b.begin(), b.end());
        }
        opts[6] = std::move(dns);
      }
      if (!subnet->domain.empty()) opts[15].assign(subnet->domain.begin(), subnet->domain.end());
      merge(opts, subnet->options);
    }
    if (image != nullptr) {
      if (!image->root_path.empty()) opts[17].assign(image->root_path.begin(), image->root_path.end());
      merge(opts, image->options);
    }
    opts[12].assign(m.hostname.begin(), m.hostname.end());
    if (!boot_file.empty() && files_.size) {
      if (const auto size = files_.size(boot_file)) {
        const auto blocks = static_cast<std::uint16_t>(std::min<std::uint64_t>((*size + 511) / 512, 0xFFFF));
        opts[13] = {static_cast<std::uint8_t>(blocks >> 8), static_cast<std::uint8_t>(blocks)};
      }
    }
    merge(opts, m.options);
    for (const auto code : fit(opts, option_budget(request)))
      r.options.add(code, opts.at(code));
  }

  d.kind = Decision::Kind::reply;
  d.route = route_reply(request, r, arrival);
  return d;
}

}  // namespace bk::bootp
