#include "server/bootp/delivery.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace bk::bootp {

int add_arp_entry(int fd, db::Ipv4 ip, std::span<const std::uint8_t, 6> mac, int ifindex) {
  arpreq req{};
  auto* pa = reinterpret_cast<sockaddr_in*>(&req.arp_pa);
  pa->sin_family = AF_INET;
  pa->sin_addr.s_addr = htonl(ip.value());
  req.arp_ha.sa_family = ARPHRD_ETHER;
  std::memcpy(req.arp_ha.sa_data, mac.data(), mac.size());
  req.arp_flags = ATF_COM;
  if (::if_indextoname(static_cast<unsigned>(ifindex), req.arp_dev) == nullptr) return errno;
  return ::ioctl(fd, SIOCSARP, &req) == 0 ? 0 : errno;
}

void leave_by(msghdr& h, PktinfoControl& control, int ifindex) {
  h.msg_control = control.bytes.data();
  h.msg_controllen = control.bytes.size();
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
  in_pktinfo info{};
  info.ipi_ifindex = ifindex;
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
}

}  // namespace bk::bootp
