#pragma once
// What the relay agent does with one datagram (RFC 951 "case 2", RFC 1542 §4): a pure function
// of the packet, the interface it came in on and the relay's settings. A BOOTREQUEST from a
// client-side interface goes to every server, with giaddr set and hops counted; a BOOTREPLY for
// one of our giaddrs goes to the client the way RFC 1542 §5.4 says. No sockets here.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/ipv4.hpp"
#include "server/bootp/packet.hpp"
#include "server/bootp/responder.hpp"

namespace bk::relay {

// Why a datagram was not forwarded. Each has a counter; the names are the log's labels.
enum class Drop : std::uint8_t {
  none,
  malformed,        // not a BOOTP packet, or an op that is neither request nor reply
  not_client_side,  // a request on an interface that is not a client-side one
  too_many_hops,    // hops at the limit
  not_ours,         // a reply whose giaddr is not one of our client-side addresses
  count_,
};
std::string_view to_string(Drop d);

struct Interface {
  int index = 0;
  std::string name;
  db::Ipv4 address;  // what goes into giaddr
};

struct Settings {
  std::vector<Interface> client_side;
  unsigned max_hops = 4;  // RFC 1542 §4.1.1: configurable, default 4
};

struct Action {
  enum class Kind : std::uint8_t { to_servers, to_client, drop } kind = Kind::drop;
  Drop drop = Drop::none;
  bootp::Packet packet;            // as it is forwarded
  bootp::Route route;              // to_client: where it goes
  const Interface* via = nullptr;  // the client-side interface concerned
};

Action decide(const bootp::Packet& p, int interface_index, const Settings& s);

// The datagram as received with only hops and giaddr taken from `forwarded`: a relay agent
// passes everything else on byte for byte, options, padding and all.
std::vector<std::uint8_t> rewrite(std::span<const std::uint8_t> datagram, const bootp::Packet& forwarded);

}  // namespace bk::relay
