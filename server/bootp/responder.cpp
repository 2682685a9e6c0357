#include "server/bootp/responder.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <span>

namespace bk::bootp {
namespace {

using db::Options;

// The reply's options in the order the issue lists them; anything else configured follows by
// code. When the vendor area is too small, options leave from the end of this order.
constexpr std::array<std::uint8_t, 13> kOrder{1, 3, 6, 12, 15, 17, 13, 16, 18, 28, 42, 66, 67};
// Never left out to make room.
constexpr std::array<std::uint8_t, 7> kEssential{1, 3, 12, 13, 51, 53, 54};

constexpr std::uint8_t kMaxMessageSize = 57;
constexpr std::uint8_t kRequestedAddress = 50;
constexpr std::uint8_t kLeaseTime = 51;
constexpr std::uint8_t kMessageType = 53;
constexpr std::uint8_t kServerId = 54;
constexpr std::uint8_t kParameterList = 55;
constexpr std::uint8_t kVendorClass = 60;
constexpr std::uint8_t kVendorSpecific = 43;
constexpr std::array<std::uint8_t, 4> kPxeSkipDiscovery{6, 1, 8, 255};
// RFC 2131 §2: a DHCP client takes at least 576-byte messages, so 312 bytes of options.
constexpr std::size_t kDhcpMinOptions = 312;
constexpr std::size_t kIpUdpHeaders = 28;
constexpr std::size_t kEthernetMtu = 1500;

// The reply's options while they are assembled: views of bytes that outlive the decision (the
// Snapshot's option maps, the settings) or of the few values computed in answer(); nothing is
// copied until the chosen ones go into the reply. This runs for every reply.
class OptionSet {
 public:
  void set(std::uint8_t code, std::span<const std::uint8_t> value) {
    if (!present_.test(code)) {
      present_.set(code);
      codes_[count_++] = code;
    }
    data_[code] = value.data();
    size_[code] = value.size();
  }
  void set(std::uint8_t code, std::string_view text) {
    set(code, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  void merge(const Options& from) {
    for (const auto& [code, value] : from)
      set(code, value);
  }
  bool has(std::uint8_t code) const { return present_.test(code); }
  std::span<const std::uint8_t> get(std::uint8_t code) const { return {data_[code], size_[code]}; }
  // The codes set, in the order they were first set.
  std::span<const std::uint8_t> codes() const { return std::span(codes_).first(count_); }

 private:
  // Only entries whose bit is set are read: no 4 KiB of zeroes to write for every reply.
  std::array<const std::uint8_t*, 256> data_;
  std::array<std::size_t, 256> size_;
  std::array<std::uint8_t, 256> codes_;
  std::size_t count_ = 0;
  std::bitset<256> present_;
};

std::size_t wire_size(std::span<const std::uint8_t> value) {
  const std::size_t chunks = value.empty() ? 1 : (value.size() + 254) / 255;
  return 2 * chunks + value.size();
}

bool is_essential(std::uint8_t code) {
  return std::find(kEssential.begin(), kEssential.end(), code) != kEssential.end();
}

// What every reply copies from its request: the transaction, the client's hardware address and
// the relay agent's address.
Packet reply_skeleton(const Packet& request) {
  Packet r;
  r.op = kBootReply;
  r.htype = request.htype;
  r.hlen = request.hlen;
  r.xid = request.xid;
  r.giaddr = request.giaddr;
  r.chaddr = request.chaddr;
  return r;
}

// iPXE says so with its encapsulated options (175) or the user class "iPXE" (77).
bool is_ipxe(const Packet& request) {
  return request.options.get(175).has_value() ||
         request.options.text(77).find("iPXE") != std::string_view::npos;
}

// Room for options in the reply's vendor area: 64 bytes for BOOTP (RFC 951) unless the client
// said it takes more (option 57), less the cookie and End.
std::size_t option_budget(const Packet& request) {
  std::size_t vend = request.options.u8(kMessageType) ? kDhcpMinOptions : kBootpVendorSize;
  if (const auto max = request.options.u16(kMaxMessageSize); max && *max >= 576) {
    // Never more than an Ethernet frame holds, whatever the client claims.
    vend =
        std::max<std::size_t>(vend, std::min<std::size_t>(*max, kEthernetMtu) - kIpUdpHeaders - kHeaderSize);
  }
  return vend - kMagicCookie.size() - 1;
}

// Adds the options to the reply in order, leaving out the least important until they fit. A
// DHCP reply starts with its type, server and lease, then what the client listed in option 55,
// in its order (RFC 2132 §9.8).
void add_fitting(const OptionSet& opts, std::size_t budget, OptionList& out,
                 std::span<const std::uint8_t> asked = {}) {
  std::array<std::uint8_t, 256> order{};
  std::bitset<256> placed;
  std::size_t n = 0;
  const auto place = [&](std::uint8_t code) {
    if (opts.has(code) && !placed.test(code)) {
      placed.set(code);
      order[n++] = code;
    }
  };
  for (const auto code : {kMessageType, kServerId, kLeaseTime})
    place(code);
  for (const auto code : asked)
    place(code);
  for (const auto code : kOrder)
    place(code);
  const std::size_t first_other = n;
  for (const auto code : opts.codes()) {
    if (!placed.test(code)) order[n++] = code;
  }
  std::sort(order.begin() + static_cast<std::ptrdiff_t>(first_other),
            order.begin() + static_cast<std::ptrdiff_t>(n));
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i)
    total += wire_size(opts.get(order[i]));
  std::array<bool, 256> dropped{};
  for (std::size_t i = n; total > budget && i-- > 0;) {
    if (is_essential(order[i])) continue;
    total -= wire_size(opts.get(order[i]));
    dropped[i] = true;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!dropped[i]) out.add(order[i], opts.get(order[i]));
  }
}

}  // namespace

std::string_view to_string(DhcpType t) {
  static constexpr std::array kNames{"BOOTP",   "DHCPDISCOVER", "DHCPOFFER",   "DHCPREQUEST", "DHCPDECLINE",
                                     "DHCPACK", "DHCPNAK",      "DHCPRELEASE", "DHCPINFORM"};
  const auto i = static_cast<std::size_t>(t);
  return i < kNames.size() ? kNames[i] : "DHCP?";
}

std::string_view to_string(Drop d) {
  static constexpr std::array kNames{
      "none",           "malformed",     "not_request",    "not_ethernet",
      "too_many_hops",  "other_server",  "unknown_client", "pool_exhausted",
      "disabled",       "unknown_file",  "rate_limited",   "other_interface",
      "wrong_segment",  "dhcp_release",  "dhcp_unknown",   "no_boot_file_for_arch",
      "internal_error", "inventory_busy"};
  static_assert(kNames.size() == static_cast<std::size_t>(Drop::count_), "every Drop needs a name");
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
  if (const auto type = request.options.u8(kMessageType)) {
    if (*type == static_cast<std::uint8_t>(DhcpType::release) ||
        *type == static_cast<std::uint8_t>(DhcpType::decline)) {
      d.drop = Drop::dhcp_release;
      d.note =
          std::string(to_string(static_cast<DhcpType>(*type))) + ": nothing to answer; the binding stays";
      return d;
    }
    if (*type != static_cast<std::uint8_t>(DhcpType::discover) &&
        *type != static_cast<std::uint8_t>(DhcpType::request) &&
        *type != static_cast<std::uint8_t>(DhcpType::inform)) {
      d.drop = Drop::dhcp_unknown;
      return d;
    }
    // RFC 2131 §4.3.2: a REQUEST naming another server's identifier chose that server's offer.
    if (const auto id = request.options.ip(kServerId);
        *type == static_cast<std::uint8_t>(DhcpType::request) && id && *id != arrival.local_address) {
      d.drop = Drop::other_server;
      return d;
    }
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
  // Its address would not work where it asks from (ISC dhcpd and CMU bootpd stay silent too).
  if (const db::Subnet* here = request_subnet(request, arrival, snap);
      here != nullptr && here->id != m->subnet_id) {
    d.drop = Drop::wrong_segment;
    const db::Subnet* home = snap.subnet(m->subnet_id);
    d.note = "machine " + m->hostname + " belongs to subnet " + (home != nullptr ? home->name : "?") +
             " but asked from subnet " + here->name;
    return d;
  }
  return answer(request, arrival, snap, *m);
}

Decision Responder::answer(const Packet& request, const Arrival& arrival, const db::Snapshot& snap,
                           const db::Machine& m) const {
  Decision d;
  d.machine = &m;
  const db::Subnet* subnet = snap.subnet(m.subnet_id);
  const db::Image* image = snap.image_for(m);

  // RFC 951 §7.2: no name or a generic one gets the machine's own boot file; another image's
  // name gets that image's file; a path in the store is served as asked; anything else is for
  // some other server to answer.
  std::string boot_file;
  const auto asked = request.file_text();
  const auto basename = [](std::string_view p) {
    const auto slash = p.rfind('/');
    return slash == std::string_view::npos ? p : p.substr(slash + 1);
  };
  // The file for the client's architecture (option 93); none means it must not get this image.
  const auto arch = request.client_arch();
  const auto file_of = [&](const db::Image& img) {
    const std::string* f = db::boot_file_for(img, arch);
    if (f != nullptr) boot_file = *f;
    return f != nullptr;
  };
  const db::Image* chosen = nullptr;
  if (asked.empty() || (image != nullptr && (asked == image->name || asked == image->boot_file ||
                                             asked == basename(image->boot_file)))) {
    chosen = image;
  } else if (const db::Image* named = snap.image_by_name(asked)) {
    chosen = named;
  } else if (files_.size && files_.size(asked)) {
    boot_file = std::string(asked);
  } else {
    d.kind = Decision::Kind::drop;
    d.drop = Drop::unknown_file;
    d.note =
        "asked for boot file \"" + std::string(asked.substr(0, 128)) + "\", which no image and no file has";
    return d;
  }
  if (chosen != nullptr && !file_of(*chosen)) {
    d.kind = Decision::Kind::drop;
    d.drop = Drop::no_boot_file_for_arch;
    const auto known = db::client_arch_of(*arch);
    d.note = "image " + chosen->name + " has no boot file for " +
             (known ? std::string(db::label(*known)) : "architecture " + std::to_string(*arch));
    return d;
  }

  // An iPXE image's chainloader starts iPXE, which asks again: it gets the machine's generated
  // iPXE script (tftpd/generated.hpp, made for images with a kernel), not the chainloader once
  // more. iPXE in a ROM asks the same way; for a pxelinux image it still gets pxelinux.
  if (image != nullptr && image->kind == db::ImageKind::ipxe && !image->kernel.empty() && is_ipxe(request)) {
    boot_file = m.mac.dashed() + ".ipxe";
  }

  const auto type = static_cast<DhcpType>(request.options.u8(kMessageType).value_or(0));
  // RFC 2131 §4.3.2: a REQUEST for an address that is not the machine's gets a NAK.
  if (type == DhcpType::request) {
    const Ipv4 asked_ip = request.options.ip(kRequestedAddress).value_or(request.ciaddr);
    if (!asked_ip.is_zero() && asked_ip != m.ip) return nak(request, arrival, m, asked_ip);
  }

  Packet& r = d.reply;
  r = reply_skeleton(request);
  r.hops = request.hops;
  r.secs = request.secs;
  r.flags = request.flags;
  r.ciaddr = request.ciaddr;
  r.yiaddr = m.ip;
  r.siaddr = subnet != nullptr && subnet->next_server ? *subnet->next_server : arrival.local_address;
  r.set_sname(settings_.server_name);
  r.set_file(boot_file);
  r.cookie = request.cookie || request.vendor_blank;

  if (r.cookie) {
    OptionSet opts;
    opts.merge(settings_.defaults);
    std::array<std::uint8_t, 4> mask{};
    std::array<std::uint8_t, 4> router{};
    std::array<std::uint8_t, 252> dns{};  // 63 servers fit one option
    std::array<std::uint8_t, 2> boot_size{};
    if (subnet != nullptr) {
      mask = subnet->network.mask().bytes();
      opts.set(1, mask);
      if (subnet->gateway) {
        router = subnet->gateway->bytes();
        opts.set(3, router);
      }
      if (!subnet->dns.empty()) {
        std::size_t n = 0;
        for (const auto& a : subnet->dns) {
          if (n + 4 > dns.size()) break;
          const auto b = a.bytes();
          std::copy(b.begin(), b.end(), dns.begin() + static_cast<std::ptrdiff_t>(n));
          n += 4;
        }
        opts.set(6, std::span(dns).first(n));
      }
      if (!subnet->domain.empty()) opts.set(15, std::string_view(subnet->domain));
      opts.merge(subnet->options);
    }
    if (image != nullptr) {
      if (!image->root_path.empty()) opts.set(17, std::string_view(image->root_path));
      opts.merge(image->options);
    }
    opts.set(12, std::string_view(m.hostname));
    if (!boot_file.empty() && files_.size) {
      if (const auto size = files_.size(boot_file)) {
        const auto blocks = static_cast<std::uint16_t>(std::min<std::uint64_t>((*size + 511) / 512, 0xFFFF));
        boot_size = {static_cast<std::uint8_t>(blocks >> 8), static_cast<std::uint8_t>(blocks)};
        opts.set(13, boot_size);
      }
    }
    opts.merge(m.options);
    std::array<std::uint8_t, 1> type_byte{};
    std::array<std::uint8_t, 4> server_id{};
    std::array<std::uint8_t, 4> lease{};
    if (type != DhcpType::none) {
      type_byte[0] = static_cast<std::uint8_t>(type == DhcpType::discover ? DhcpType::offer : DhcpType::ack);
      opts.set(kMessageType, type_byte);
      server_id = arrival.local_address.bytes();
      opts.set(kServerId, server_id);
      if (type != DhcpType::inform) {
        for (int i = 0; i < 4; ++i)
          lease[static_cast<std::size_t>(i)] =
              static_cast<std::uint8_t>(settings_.lease_seconds >> (24 - (8 * i)));
        opts.set(kLeaseTime, lease);
      }
      // PXE firmware (RFC 4578): "PXEClient" echoed, and PXE_DISCOVERY_CONTROL = 8 in option 43,
      // so that it boots the file named here instead of looking for a boot server.
      if (request.options.text(kVendorClass).starts_with("PXEClient")) {
        opts.set(kVendorClass, std::string_view("PXEClient"));
        opts.set(kVendorSpecific, kPxeSkipDiscovery);
      } else if (request.options.text(kVendorClass).starts_with("HTTPClient")) {
        // UEFI HTTP boot takes only a reply that says "HTTPClient"; its file is a URL.
        opts.set(kVendorClass, std::string_view("HTTPClient"));
      }
    }
    add_fitting(opts, option_budget(request), r.options,
                request.options.get(kParameterList).value_or(std::span<const std::uint8_t>{}));
  }
  if (type == DhcpType::inform) r.yiaddr = Ipv4{};  // RFC 2131 §4.3.5: it has its address

  d.kind = Decision::Kind::reply;
  d.route = route_reply(request, r, arrival);
  return d;
}

Decision Responder::nak(const Packet& request, const Arrival& arrival, const db::Machine& m,
                        Ipv4 asked) const {
  Decision d;
  d.machine = &m;
  d.kind = Decision::Kind::reply;
  d.note = "asked for " + asked.str() + ", which is not " + m.hostname + "'s address (" + m.ip.str() + ")";
  Packet& r = d.reply;
  r = reply_skeleton(request);
  r.cookie = true;
  static constexpr std::array<std::uint8_t, 1> kNak{static_cast<std::uint8_t>(DhcpType::nak)};
  r.options.add(kMessageType, kNak);
  r.options.add(kServerId, arrival.local_address.bytes());
  r.options.add(56, std::span(reinterpret_cast<const std::uint8_t*>(d.note.data()),
                              std::min<std::size_t>(d.note.size(), 255)));
  // §4.3.2: a NAK is broadcast (through the relay agent, with the broadcast bit, when relayed),
  // never sent to the address the client wrongly holds.
  Packet route_as = request;
  route_as.ciaddr = Ipv4{};
  route_as.flags |= kBroadcastFlag;
  r.flags = route_as.flags;
  d.route = route_reply(route_as, r, arrival);
  return d;
}

}  // namespace bk::bootp
