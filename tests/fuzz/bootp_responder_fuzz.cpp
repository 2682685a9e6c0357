// Fuzz target: the Responder's decision on any request that decodes, against a fixed lab.
// Input layout: byte 0 picks where the request arrived and the server's settings; byte 1, when
// even, puts a registered MAC into chaddr (random bytes almost never name a machine, and the
// reply path is where the work is); the rest is the datagram.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "fuzz_lab.hpp"
#include "server/bootp/packet.hpp"
#include "server/bootp/responder.hpp"

namespace {

using namespace bk::bootp;

// The options fit() never removes to make room (responder.cpp): mask, router, host name and
// boot file size.
constexpr std::array<std::uint8_t, 4> kEssential{1, 3, 12, 13};
constexpr std::uint8_t kMaxMessageSize = 57;
constexpr std::size_t kIpUdpHeaders = 28;

Ipv4 ip(const char* text) {
  return *Ipv4::parse(text);
}

const std::array<Arrival, 4>& arrivals() {
  static const std::array<Arrival, 4> a{
      Arrival{ip("198.18.0.1"), 3, Ipv4{}},              // on the lab segment
      Arrival{ip("198.18.10.1"), 4, ip("198.18.10.7")},  // on the far segment
      Arrival{ip("198.18.0.1"), 3, ip("198.18.20.1")},   // from poolnet's relay agent
      Arrival{ip("198.19.99.1"), 5, Ipv4{}},             // a segment in no subnet
  };
  return a;
}

const Responder& responder(bool crowded) {
  static const Responder plain(Settings{}, BootFiles{bk::fuzz::lab_file_size});
  // Server defaults that crowd a 64-byte vendor area, so that fit() has to leave options out.
  static const Responder crowding = [] {
    Settings s;
    s.max_hops = 4;
    s.defaults[42] = {198, 18, 0, 1, 198, 18, 0, 2};
    s.defaults[18] = std::vector<std::uint8_t>(40, 'x');
    s.defaults[209] = {'d', 'e', 'f', 'a', 'u', 'l', 't'};
    return Responder(std::move(s), BootFiles{bk::fuzz::lab_file_size});
  }();
  return crowded ? crowding : plain;
}

// Every registered MAC (disabled and pool-bound ones too), in a fixed order.
const std::vector<Mac>& registered_macs() {
  static const std::vector<Mac> macs = [] {
    std::vector<Mac> v;
    for (const auto& [mac, m] : bk::fuzz::lab_snapshot().machines())
      v.push_back(mac);
    std::sort(v.begin(), v.end());
    return v;
  }();
  return macs;
}

bool is_essential(std::uint8_t code) {
  return std::find(kEssential.begin(), kEssential.end(), code) != kEssential.end();
}

// The largest vendor area the client takes: RFC 951's 64 bytes, 312 for a DHCP client (RFC 2131
// §2: every DHCP client takes options of at least 312 bytes), or more when option 57 gives a
// maximum message size (at least 576, RFC 2132 §9.10) that leaves room after the IP, UDP and
// BOOTP headers.
std::size_t vendor_limit(const Packet& request) {
  std::size_t limit = request.options.u8(53) ? std::size_t{312} : kBootpVendorSize;
  if (const auto max = request.options.u16(kMaxMessageSize); max && *max >= 576) {
    limit = std::max<std::size_t>(limit, *max - kIpUdpHeaders - kHeaderSize);
  }
  return limit;
}

void check_reply(const Packet& request, const Decision& d, const Arrival& arrival) {
  FUZZ_CHECK(d.machine != nullptr && d.machine->enabled);
  const Packet& r = d.reply;
  // The machine's address, except in a NAK (RFC 2131 §4.3.2: the REQUEST named another one) and
  // in the ACK to an INFORM (§4.3.5: the client has its address); both carry none.
  const bool nak = r.options.u8(53) == static_cast<std::uint8_t>(DhcpType::nak);
  const bool inform = request.options.u8(53) == static_cast<std::uint8_t>(DhcpType::inform);
  const Ipv4 expected = nak || inform ? Ipv4{} : d.machine->ip;
  FUZZ_CHECK(r.yiaddr == expected);

  const std::vector<std::uint8_t> wire = encode(r);
  FUZZ_CHECK(wire.size() >= kMinReplySize);
  const Decoded back = decode(wire);
  FUZZ_CHECK(back.packet.has_value());
  const Packet& b = *back.packet;
  FUZZ_CHECK(b.op == kBootReply);
  FUZZ_CHECK(b.xid == request.xid);
  FUZZ_CHECK(b.chaddr == request.chaddr);
  FUZZ_CHECK(b.yiaddr == expected);
  FUZZ_CHECK(b.cookie == r.cookie);

  if (!r.cookie) {
    // An RFC 951 client gets its 64 bytes of vendor area back, with no options in them.
    FUZZ_CHECK(r.options.empty());
    FUZZ_CHECK(wire.size() == kMinReplySize);
  } else {
    // The vendor area ends at End; encode only pads with zeros after it.
    const auto last = std::find_if(wire.rbegin(), wire.rend(), [](std::uint8_t c) { return c != 0; });
    FUZZ_CHECK(last != wire.rend() && *last == 255);
    const std::size_t used = static_cast<std::size_t>(wire.rend() - last) - kHeaderSize;
    const bool only_essentials = std::all_of(r.options.entries().begin(), r.options.entries().end(),
                                             [](const OptionList::Entry& e) { return is_essential(e.code); });
    FUZZ_CHECK_MSG(used <= vendor_limit(request) || only_essentials,
                   "vendor area of %zu bytes, limit %zu, with non-essential options", used,
                   vendor_limit(request));
  }

  // RFC 1542 §5.4: through the relay agent when there is one, else to the client's port.
  if (!request.giaddr.is_zero()) {
    FUZZ_CHECK(d.route.kind == Route::Kind::relay && d.route.address == request.giaddr && d.route.port == 67);
  } else {
    FUZZ_CHECK(d.route.port == 68);
  }
  FUZZ_CHECK(d.route.interface_index == arrival.interface_index);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Arrival& arrival = arrivals()[data[0] % arrivals().size()];
  const Responder& r = responder((data[0] & 0x80) != 0);
  const Decoded decoded = decode(std::span(data + 2, size - 2));
  if (!decoded.packet) return 0;
  Packet request = *decoded.packet;
  if (data[1] % 2 == 0) {
    const auto& macs = registered_macs();
    const auto mac = macs[(data[1] / 2) % macs.size()].bytes();
    std::copy(mac.begin(), mac.end(), request.chaddr.begin());
  }

  const bk::db::Snapshot& snap = bk::fuzz::lab_snapshot();
  const Decision d = r.decide(request, arrival, snap);
  const bk::db::Machine* known = snap.machine_by_mac(request.mac());
  switch (d.kind) {
    case Decision::Kind::reply:
      FUZZ_CHECK(d.drop == Drop::none && d.machine == known);
      check_reply(request, d, arrival);
      break;
    case Decision::Kind::drop:
      FUZZ_CHECK(d.drop != Drop::none);
      if (d.drop == Drop::disabled) FUZZ_CHECK(known != nullptr && !known->enabled);
      break;
    case Decision::Kind::bind_pool: {
      // Only a stranger on a subnet with a pool is given an address from it.
      FUZZ_CHECK(known == nullptr);
      const bk::db::Subnet* subnet = snap.subnet(d.subnet_id);
      FUZZ_CHECK(subnet != nullptr && subnet->pool.has_value());
      break;
    }
    case Decision::Kind::record_discovered:
      FUZZ_CHECK(known == nullptr && d.drop == Drop::unknown_client);
      break;
  }
  return 0;
}
