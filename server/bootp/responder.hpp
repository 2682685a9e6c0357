#pragma once
// What the BOOTP server does with one request: a pure function of the request, where it
// arrived, the inventory Snapshot and the server's settings. No sockets, no SQLite: the
// transport carries out the Decision (send, bind a pool address, record a sighting).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/model.hpp"
#include "db/snapshot.hpp"
#include "server/bootp/packet.hpp"

namespace bk::bootp {

// Why a request got no reply. Each has a counter; the names are the metric labels.
enum class Drop : std::uint8_t {
  none,
  malformed,              // not a BOOTP packet (too short, hlen > 16)
  not_request,            // op is not BOOTREQUEST (a BOOTREPLY sent to the server)
  not_ethernet,           // htype/hlen other than Ethernet
  too_many_hops,          // relayed more times than the limit
  other_server,           // sname names another server
  unknown_client,         // not registered, no pool: recorded as discovered
  pool_exhausted,         // not registered, the pool has no free address
  disabled,               // registered but disabled
  unknown_file,           // asked for a boot file that neither the store nor an image has
  rate_limited,           // over the per-MAC reply rate
  other_interface,        // arrived on an interface not named by --interface
  wrong_segment,          // registered, but asking from a segment of another subnet
  dhcp_release,           // DHCPRELEASE or DHCPDECLINE: nothing to answer (the binding stays)
  dhcp_unknown,           // a DHCP message type a server does not answer
  no_boot_file_for_arch,  // its image has no boot file for the architecture in option 93
  internal_error,         // handling threw (logged); the server went on
  inventory_busy,         // a pool binding could not have the write lock at once; the client asks again
  count_,
};
std::string_view to_string(Drop d);

struct Settings {
  std::string server_name = "bootkeeper";  // sname in replies; requests naming another are ignored
  unsigned max_hops = 16;
  // Lease time offered to DHCP clients (option 51); BOOTP clients keep their address for good.
  std::uint32_t lease_seconds = 86400;
  // Server-level defaults, the lowest rung of machine > image > subnet > server.
  db::Options defaults;
};

// DHCP message types (RFC 2132 §9.6); a request without option 53 is plain BOOTP.
enum class DhcpType : std::uint8_t {
  none = 0,
  discover = 1,
  offer = 2,
  request = 3,
  decline = 4,
  ack = 5,
  nak = 6,
  release = 7,
  inform = 8,
};
std::string_view to_string(DhcpType t);

// Where the request came in.
struct Arrival {
  Ipv4 local_address;  // our address on the receiving interface
  int interface_index = 0;
  Ipv4 source;  // the sender (a relay agent when giaddr is set)
};

// Facts about files in the image store that the decision needs.
struct BootFiles {
  // Size in bytes of a file beneath the image root, or nullopt when there is none.
  std::function<std::optional<std::uint64_t>(std::string_view path)> size;
};

// Where a reply goes (RFC 1542 §5.4).
struct Route {
  enum class Kind : std::uint8_t { relay, client_ciaddr, broadcast, unicast_arp } kind = Kind::broadcast;
  Ipv4 address;             // destination
  std::uint16_t port = 68;  // 67 towards a relay agent
  int interface_index = 0;  // for broadcast and ARP: out the receiving interface
};
Route route_reply(const Packet& request, const Packet& reply, const Arrival& arrival);

struct Decision {
  enum class Kind : std::uint8_t { reply, drop, bind_pool, record_discovered } kind = Kind::drop;
  Drop drop = Drop::none;
  Packet reply;          // for reply
  Route route;           // for reply
  db::Id subnet_id = 0;  // for bind_pool and record_discovered: the request's subnet
  const db::Machine* machine = nullptr;
  std::string note;  // a human sentence for the event log
};

class Responder {
 public:
  Responder(Settings settings, BootFiles files) : settings_(std::move(settings)), files_(std::move(files)) {}

  Decision decide(const Packet& request, const Arrival& arrival, const db::Snapshot& snap) const;

  // The subnet a request belongs to: giaddr's when relayed, else the receiving interface's.
  static const db::Subnet* request_subnet(const Packet& request, const Arrival& arrival,
                                          const db::Snapshot& snap);

  const Settings& settings() const { return settings_; }

 private:
  Decision answer(const Packet& request, const Arrival& arrival, const db::Snapshot& snap,
                  const db::Machine& m) const;
  Decision nak(const Packet& request, const Arrival& arrival, const db::Machine& m, Ipv4 asked) const;

  Settings settings_;
  BootFiles files_;
};

}  // namespace bk::bootp
