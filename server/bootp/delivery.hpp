#pragma once
// Getting a BOOTREPLY to a client that has no address yet (RFC 1542 §5.4), shared by the BOOTP
// server and the relay agent: an ARP entry for the first unicast, and datagrams that leave by a
// chosen interface.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>

#include "db/ipv4.hpp"
#include "db/udp.hpp"

namespace bk::bootp {

// Adds an ARP entry `ip` -> `mac` on interface `ifindex` through socket `fd`. Returns 0, or the
// errno (EPERM without CAP_NET_ADMIN: the caller then broadcasts instead).
int add_arp_entry(int fd, db::Ipv4 ip, std::span<const std::uint8_t, 6> mac, int ifindex);

using db::PktinfoControl;

// Makes the datagram of `h` leave by interface `ifindex` (IP_PKTINFO).
void leave_by(msghdr& h, PktinfoControl& control, int ifindex);

}  // namespace bk::bootp
