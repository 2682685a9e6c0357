#pragma once
// Socket details that the BOOTP server, the relay agent and the TFTP server share: IPv4 socket
// addresses, and the IP_PKTINFO control message that says on which interface and to which local
// address a datagram arrived (and makes a reply leave by a chosen interface).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

#include "db/ipv4.hpp"

namespace bk::db {

inline sockaddr_in to_sockaddr(Ipv4 address, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(address.value());
  return sa;
}

inline Ipv4 address_of(const sockaddr_in& sa) {
  return Ipv4(ntohl(sa.sin_addr.s_addr));
}

// Control messages are read through cmsghdr pointers: their buffers need its alignment (UBSan
// caught plain char arrays at odd addresses).
struct alignas(cmsghdr) PktinfoControl {
  std::array<char, CMSG_SPACE(sizeof(in_pktinfo))> bytes;
};

// The IP_PKTINFO of a received message, when the socket asked for it.
inline std::optional<in_pktinfo> pktinfo(const msghdr& received) {
  auto* h = const_cast<msghdr*>(&received);  // CMSG_NXTHDR takes it mutable; nothing is written
  for (cmsghdr* c = CMSG_FIRSTHDR(h); c != nullptr; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      return info;
    }
  }
  return std::nullopt;
}

// Makes `h` one UDP GSO send (UDP_SEGMENT): the kernel cuts its payload into datagrams of
// `segment` bytes (the last may be shorter), taking the stack once for all of them.
inline void segment_by(msghdr& h, PktinfoControl& control, std::uint16_t segment) {
  h.msg_control = control.bytes.data();
  h.msg_controllen = CMSG_SPACE(sizeof segment);
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof segment);
  std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
}

}  // namespace bk::db
