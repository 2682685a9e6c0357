// bootkeeper-relay: the BOOTP relay agent. Listens on port 67, forwards client requests from the
// client-side interfaces to the servers, and the servers' replies back to the clients.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "db/udp.hpp"
#include "server/bootp/delivery.hpp"
#include "server/relay/relay.hpp"

namespace {

using namespace bk;

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) {
  stop_requested = 1;
}

relay::Interface client_interface(const std::string& name) {
  relay::Interface i;
  i.name = name;
  i.index = static_cast<int>(::if_nametoindex(name.c_str()));
  if (i.index == 0) throw std::runtime_error("--interface " + name + ": no such interface (see `ip link`)");
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0)
    throw std::runtime_error(std::string("cannot list addresses: ") + std::strerror(errno));
  for (const ifaddrs* a = all; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr != nullptr && a->ifa_addr->sa_family == AF_INET && name == a->ifa_name) {
      i.address = db::Ipv4(ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr));
      break;
    }
  }
  ::freeifaddrs(all);
  if (i.address.is_zero()) {
    throw std::runtime_error(
        "--interface " + name +
        ": has no IPv4 address, which clients' requests need as giaddr (ip addr add ...)");
  }
  return i;
}

struct InterfaceCounters {
  std::uint64_t forwarded = 0;  // requests sent on to the servers
  std::uint64_t delivered = 0;  // replies sent to clients
  std::array<std::uint64_t, static_cast<std::size_t>(relay::Drop::count_)> dropped{};
};

std::string interface_name(int index) {
  std::array<char, IF_NAMESIZE> buf{};
  return ::if_indextoname(static_cast<unsigned>(index), buf.data()) != nullptr ? buf.data()
                                                                               : "if" + std::to_string(index);
}

class Relay {
 public:
  Relay(relay::Settings settings, std::vector<db::Endpoint> servers, std::uint16_t port,
        std::uint16_t client_port)
      : settings_(std::move(settings)), servers_(std::move(servers)), client_port_(client_port) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("cannot create a socket: ") + std::strerror(errno));
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    ::setsockopt(fd_, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
    const sockaddr_in sa = db::to_sockaddr(db::Ipv4{}, port);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      const int e = errno;
      throw std::runtime_error("cannot listen on port " + std::to_string(port) + ": " + std::strerror(e) +
                               (e == EADDRINUSE ? " (a BOOTP/DHCP server or another relay runs on this host)"
                                : e == EACCES   ? " (port 67 needs root or CAP_NET_BIND_SERVICE)"
                                                : ""));
    }
  }
  ~Relay() { ::close(fd_); }
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  void run() {
    std::array<std::uint8_t, 2048> buf{};
    while (stop_requested == 0) {
      sockaddr_in from{};
      bootp::PktinfoControl control{};
      iovec iov{buf.data(), buf.size()};
      msghdr h{};
      h.msg_name = &from;
      h.msg_namelen = sizeof from;
      h.msg_iov = &iov;
      h.msg_iovlen = 1;
      h.msg_control = control.bytes.data();
      h.msg_controllen = control.bytes.size();
      const ssize_t n = ::recvmsg(fd_, &h, 0);
      if (n < 0) {
        if (errno != EINTR) spdlog::warn("receive failed: {}", std::strerror(errno));
        continue;
      }
      const auto info = db::pktinfo(h);
      const int ifindex = info ? info->ipi_ifindex : 0;
      try {
        handle(std::span(buf.data(), static_cast<std::size_t>(n)), (h.msg_flags & MSG_TRUNC) != 0, ifindex,
               from);
      } catch (const std::exception& e) {
        spdlog::error("a datagram from {} could not be handled: {}", db::address_of(from).str(), e.what());
      }
    }
  }

  void log_counters() const {
    for (const auto& [index, c] : counters_) {
      std::string drops;
      for (std::size_t i = 1; i < c.dropped.size(); ++i)
        if (c.dropped[i] > 0)
          drops += " " + std::string(relay::to_string(static_cast<relay::Drop>(i))) + "=" +
                   std::to_string(c.dropped[i]);
      spdlog::info("{}: {} requests forwarded, {} replies delivered, dropped:{}", interface_name(index),
                   c.forwarded, c.delivered, drops.empty() ? " none" : drops);
    }
  }

 private:
  void handle(std::span<const std::uint8_t> bytes, bool truncated, int ifindex, const sockaddr_in& from) {
    auto& count = counters_[ifindex];
    const auto decoded = truncated ? bootp::Decoded{} : bootp::decode(bytes);
    if (!decoded.packet) {
      ++count.dropped[static_cast<std::size_t>(relay::Drop::malformed)];
      return;
    }
    const relay::Action a = relay::decide(*decoded.packet, ifindex, settings_);
    const std::string src = db::address_of(from).str();
    switch (a.kind) {
      case relay::Action::Kind::drop:
        ++count.dropped[static_cast<std::size_t>(a.drop)];
        spdlog::debug("{} from {} on {}: dropped ({})", decoded.packet->mac().str(), src,
                      interface_name(ifindex), relay::to_string(a.drop));
        return;
      case relay::Action::Kind::to_servers: {
        const auto wire = relay::rewrite(bytes, a.packet);
        for (const auto& s : servers_) {
          const sockaddr_in to = db::to_sockaddr(s.address, s.port);
          if (::sendto(fd_, wire.data(), wire.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) <
              0) {
            spdlog::warn("cannot forward to {}: {}", s.address.str(), std::strerror(errno));
          }
        }
        ++count.forwarded;
        spdlog::debug("request {} on {}: giaddr {}, hops {}, forwarded to {} server(s)", a.packet.mac().str(),
                      a.via->name, a.packet.giaddr.str(), a.packet.hops, servers_.size());
        return;
      }
      case relay::Action::Kind::to_client:
        deliver(a, bytes);
        ++counters_[a.via->index].delivered;
        return;
    }
  }

  void deliver(const relay::Action& a, std::span<const std::uint8_t> wire) {
    bootp::Route route = a.route;
    if (route.kind == bootp::Route::Kind::unicast_arp) {
      const int e = arp_permitted_
                        ? bootp::add_arp_entry(fd_, route.address,
                                               std::span<const std::uint8_t, 6>(a.packet.chaddr.data(), 6),
                                               route.interface_index)
                        : EPERM;
      if (e != 0) {
        if (e == EPERM && arp_permitted_) {
          arp_permitted_ = false;
          spdlog::warn("cannot add ARP entries (needs CAP_NET_ADMIN): replies go to clients as broadcasts");
        }
        route.kind = bootp::Route::Kind::broadcast;
        route.address = db::Ipv4(0xFFFF'FFFFu);
      }
    }
    sockaddr_in to = db::to_sockaddr(route.address, client_port_);
    iovec iov{const_cast<std::uint8_t*>(wire.data()), wire.size()};
    msghdr h{};
    h.msg_name = &to;
    h.msg_namelen = sizeof to;
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    bootp::PktinfoControl control{};
    if (route.kind != bootp::Route::Kind::client_ciaddr) bootp::leave_by(h, control, route.interface_index);
    if (::sendmsg(fd_, &h, 0) < 0)
      spdlog::warn("cannot send the reply to {}: {}", route.address.str(), std::strerror(errno));
    spdlog::debug("reply {} to {} on {}", a.packet.mac().str(), route.address.str(), a.via->name);
  }

  relay::Settings settings_;
  std::vector<db::Endpoint> servers_;
  std::uint16_t client_port_;
  int fd_ = -1;
  bool arp_permitted_ = true;
  std::map<int, InterfaceCounters> counters_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bootkeeper-relay: BOOTP relay agent (RFC 951, RFC 1542). Forwards client requests from the\n"
      "client-side interfaces to the servers as unicast, and the servers' replies back to the clients.\n"
      "Works for the DHCP form (PXE) too."};
  std::vector<std::string> interfaces;
  std::vector<std::string> servers;
  unsigned max_hops = 4;
  std::string log_level = "info";
  std::uint16_t port = 67;
  std::uint16_t client_port = 68;
  app.add_option("--interface", interfaces, "a client-side interface (repeatable)")->required();
  app.add_option("--server", servers, "a BOOTP server ADDRESS[:PORT] to forward to (repeatable)")->required();
  app.add_option("--max-hops", max_hops, "drop requests relayed this many times already (default 4)")
      ->check(CLI::Range(1, 16));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (default info)");
  app.add_option("--port", port, "port to listen on (default 67)");
  app.add_option("--client-port", client_port, "port clients listen on (default 68)");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  const auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off") {
    std::cerr << "bootkeeper-relay: log level " << log_level
              << " is not one of trace, debug, info, warn, error\n";
    return 2;
  }
  spdlog::set_level(level);
  try {
    relay::Settings settings;
    settings.max_hops = max_hops;
    settings.client_side.reserve(interfaces.size());
    for (const auto& name : interfaces)
      settings.client_side.push_back(client_interface(name));
    std::vector<db::Endpoint> targets;
    targets.reserve(servers.size());
    for (const auto& s : servers)
      targets.push_back(db::Endpoint::parse(s, 67, "--server"));

    struct sigaction sa {};
    sa.sa_handler = on_signal;  // no SA_RESTART: recvmsg returns EINTR and the loop ends
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);

    Relay r(settings, targets, port, client_port);
    std::string where;
    for (const auto& i : settings.client_side)
      where += " " + i.name + " (" + i.address.str() + ")";
    std::string to;
    for (const auto& s : servers)
      to += " " + s;
    spdlog::info("bootkeeper-relay: client side{}; servers{}; max hops {}", where, to, max_hops);
    r.run();
    spdlog::info("bootkeeper-relay stopped");
    r.log_counters();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bootkeeper-relay: " << e.what() << "\n";
    return 1;
  }
}
