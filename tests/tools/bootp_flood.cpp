// A BOOTP/DHCP flood: BOOTREQUESTs (or PXE DHCPDISCOVERs) from N distinct client MACs
// (--mac-base + i), R rounds each, fire and forget, as fast as the socket takes them or at
// --rate requests a second.
//
//   on a segment, as firmware sends:  --interface IF   (SO_BROADCAST from port 68, bound to IF,
//                                                       to 255.255.255.255:67)
//   as a relay agent:                 --server ADDR --giaddr ADDR   (unicast from giaddr:67)
//
// Replies that come back (broadcast to port 68, or to giaddr:67) are counted per MAC range, not
// waited for. Prints what it sent, the rate it achieved and the replies it saw, and a
// machine-readable RESULT line.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "server/bootp/packet.hpp"
#include "tests/tools/datagram_batch.hpp"

using namespace bk::bootp;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string interface;  // broadcast mode
  std::string server;     // relay mode (with giaddr)
  std::string giaddr;
  std::uint64_t mac_base = 0x02'00'5e'00'00'00ull;  // locally administered
  unsigned macs = 10'000;
  unsigned rounds = 1;
  double rate = 0;      // requests a second; 0: as fast as the socket takes them
  bool dhcp = false;    // DHCPDISCOVER with PXE's options 60, 93, 97 instead of plain BOOTP
  double linger = 0.5;  // seconds to go on counting replies after the last send
};

void usage() {
  std::puts(
      "bootp_flood (--interface IF | --server ADDR --giaddr ADDR) [--mac-base MAC] [--macs N]\n"
      "            [--rounds R] [--rate PPS] [--dhcp] [--linger SECONDS]\n"
      "  Sends N x R BOOTREQUESTs, round by round, from MACs MAC + 0 .. MAC + N-1 (default\n"
      "  02:00:5e:00:00:00, 10000 MACs, 1 round), as fast as possible or at PPS a second.\n"
      "  --interface: broadcasts from 0.0.0.0:68 on IF to 255.255.255.255:67, as firmware does.\n"
      "  --server/--giaddr: relayed unicasts from giaddr:67 with giaddr set.\n"
      "  --dhcp: DHCPDISCOVER (53=1) with PXE's vendor class (60), architecture (93) and GUID (97).");
}

bool parse_mac(const std::string& text, std::uint64_t& out) {
  const auto m = Mac::parse(text);
  if (!m) return false;
  out = m->value();
  return true;
}

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") return false;
    if (k == "--dhcp") {
      a.dhcp = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (k == "--interface")
      a.interface = v;
    else if (k == "--server")
      a.server = v;
    else if (k == "--giaddr")
      a.giaddr = v;
    else if (k == "--mac-base") {
      if (!parse_mac(v, a.mac_base)) return false;
    } else if (k == "--macs")
      a.macs = static_cast<unsigned>(std::stoul(v));
    else if (k == "--rounds")
      a.rounds = static_cast<unsigned>(std::stoul(v));
    else if (k == "--rate")
      a.rate = std::stod(v);
    else if (k == "--linger")
      a.linger = std::stod(v);
    else
      return false;
  }
  const bool broadcast = !a.interface.empty();
  const bool relay = !a.server.empty() && !a.giaddr.empty();
  return a.macs > 0 && a.rounds > 0 && a.rate >= 0 && broadcast != relay;
}

Packet request_template(const Args& a, std::optional<Ipv4> giaddr) {
  Packet p;
  p.htype = 1;
  p.hlen = 6;
  if (giaddr) {
    p.hops = 1;
    p.giaddr = *giaddr;
  } else {
    p.flags = kBroadcastFlag;  // no address yet: as PXE ROMs ask
  }
  if (a.dhcp) {
    const std::uint8_t discover[] = {1};
    const std::string_view vendor = "PXEClient:Arch:00000:UNDI:002001";
    const std::uint8_t arch[] = {0, 0};   // BIOS
    std::array<std::uint8_t, 17> guid{};  // type 0 + 16 bytes; patched per MAC below
    const std::uint8_t params[] = {1, 3, 6, 12, 15, 17, 43, 54, 60, 66, 67, 93, 97};
    const std::uint8_t ndi[] = {1, 2, 1};
    p.options.add(53, discover);
    p.options.add(57, std::array<std::uint8_t, 2>{0x04, 0xec});  // max message size 1260
    p.options.add(93, arch);
    p.options.add(94, ndi);
    p.options.add(97, guid);
    p.options.add(60, std::span(reinterpret_cast<const std::uint8_t*>(vendor.data()), vendor.size()));
    p.options.add(55, params);
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    usage();
    return 2;
  }
  const bool relay = args.interface.empty();
  std::optional<Ipv4> giaddr;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(67);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  if (relay) {
    const auto server = Ipv4::parse(args.server);
    giaddr = Ipv4::parse(args.giaddr);
    if (!server || !giaddr) {
      std::fprintf(stderr, "bootp_flood: --server and --giaddr take IPv4 addresses\n");
      return 2;
    }
    to.sin_addr.s_addr = htonl(server->value());
    me.sin_port = htons(67);
    me.sin_addr.s_addr = htonl(giaddr->value());
  } else {
    to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
    me.sin_port = htons(68);
    me.sin_addr.s_addr = htonl(INADDR_ANY);
  }

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::fprintf(stderr, "bootp_flood: socket: %s\n", std::strerror(errno));
    return 1;
  }
  const int one = 1;
  const int buf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (!relay && ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, args.interface.c_str(),
                             static_cast<socklen_t>(args.interface.size())) != 0) {
    std::fprintf(stderr, "bootp_flood: cannot bind to %s: %s\n", args.interface.c_str(),
                 std::strerror(errno));
    return 1;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof me) != 0) {
    std::fprintf(stderr, "bootp_flood: cannot bind port %u: %s\n", ntohs(me.sin_port), std::strerror(errno));
    return 1;
  }

  const auto tmpl = encode(request_template(args, giaddr));
  // Where chaddr and the GUID's last six bytes sit in the encoded request.
  constexpr std::size_t kChaddr = 28;
  std::size_t guid_at = 0;
  if (args.dhcp) {
    for (std::size_t i = kHeaderSize + 4; i + 1 < tmpl.size();) {
      if (tmpl[i] == 0) {
        ++i;
        continue;
      }
      if (tmpl[i] == 255) break;
      if (tmpl[i] == 97) guid_at = i + 2 + 1 + 10;  // code, length, type, 10 fixed bytes
      i += 2 + tmpl[i + 1];
    }
  }

  bk::tools::SendBatch<> tx;
  bk::tools::ReceiveBatch<> rx;
  std::vector<std::vector<std::uint8_t>> out(tx.capacity, tmpl);

  std::uint64_t replies = 0, strays = 0;
  const auto receive = [&] {
    for (;;) {
      const std::size_t n = rx.receive(fd);
      for (std::size_t i = 0; i < n; ++i) {
        const auto b = rx[i];
        std::uint64_t mac = 0;
        if (b.size() >= kHeaderSize) {
          for (std::size_t k = 0; k < 6; ++k)
            mac = (mac << 8) | b[kChaddr + k];
        }
        if (b.size() >= kHeaderSize && b[0] == kBootReply && mac >= args.mac_base &&
            mac < args.mac_base + args.macs) {
          ++replies;
        } else {
          ++strays;
        }
      }
      if (n < rx.capacity) return;
    }
  };

  const std::uint64_t total = std::uint64_t{args.macs} * args.rounds;
  std::uint64_t sent = 0;
  std::uint32_t xid = 0x464c4f00;  // "FLO" + counter
  const auto start = Clock::now();
  while (sent < total) {
    // At a given rate: send what is due by now, at most a batch.
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(tx.capacity, total - sent));
    if (args.rate > 0) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const auto due = static_cast<std::uint64_t>(elapsed * args.rate) + 1;
      if (due <= sent) {
        receive();
        const double wait = static_cast<double>(sent + 1) / args.rate - elapsed;
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait, 0.01)));
        continue;
      }
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, due - sent));
    }
    for (std::size_t i = 0; i < n; ++i) {
      auto& b = out[i];
      const std::uint64_t mac = args.mac_base + (sent + i) % args.macs;
      ++xid;
      for (std::size_t k = 0; k < 4; ++k)
        b[4 + k] = static_cast<std::uint8_t>(xid >> (8 * (3 - k)));
      for (std::size_t k = 0; k < 6; ++k) {
        b[kChaddr + k] = static_cast<std::uint8_t>(mac >> (8 * (5 - k)));
        if (guid_at != 0) b[guid_at + k] = b[kChaddr + k];
      }
      tx.add(b, to);
    }
    tx.flush(fd);
    sent += n;
    receive();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const auto linger_end =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.linger));
  while (Clock::now() < linger_end) {
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 20);
    receive();
  }
  const double rate = static_cast<double>(sent) / std::max(elapsed, 1e-9);
  std::printf(
      "bootp_flood: %llu %s from %u MACs x %u rounds in %.2f s: %.0f/s; %llu replies to them, "
      "%llu other datagrams, %llu send errors, %llu waits for the device\n",
      static_cast<unsigned long long>(sent), args.dhcp ? "DHCPDISCOVERs" : "BOOTREQUESTs", args.macs,
      args.rounds, elapsed, rate, static_cast<unsigned long long>(replies),
      static_cast<unsigned long long>(strays), static_cast<unsigned long long>(tx.failures),
      static_cast<unsigned long long>(tx.waits));
  std::printf("RESULT sent=%llu seconds=%.3f rate=%.0f replies=%llu send_errors=%llu\n",
              static_cast<unsigned long long>(sent), elapsed, rate, static_cast<unsigned long long>(replies),
              static_cast<unsigned long long>(tx.failures));
  ::close(fd);
  return tx.failures == 0 ? 0 : 1;
}
