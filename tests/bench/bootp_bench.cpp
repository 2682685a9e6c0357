// A BOOTP load generator that acts as a relay agent: requests carry giaddr (our address), so
// replies come back by unicast to our port 67. Keeps W requests in flight over N client MACs
// (52:54:00:00:00:00 + i) for T seconds, batching with sendmmsg/recvmmsg, and prints
// replies/s, p50/p99 latency and lost requests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "server/bootp/packet.hpp"
#include "tests/tools/datagram_batch.hpp"

using namespace bk::bootp;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string server = "198.18.0.1";
  std::string giaddr = "198.18.0.2";
  unsigned macs = 1000;
  unsigned window = 256;
  double seconds = 5;
  std::string label = "server";
};

void usage() {
  std::puts(
      "bootp_bench [--server ADDR] [--giaddr ADDR] [--macs N] [--window W] [--seconds T] [--label NAME]\n"
      "  Sends relayed BOOTREQUESTs (giaddr = ADDR of this host, bound to port 67) for N client MACs\n"
      "  52:54:00:00:00:00 + i, W in flight, for T seconds; prints replies/s and latency.");
}

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") return false;
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (k == "--server")
      a.server = v;
    else if (k == "--giaddr")
      a.giaddr = v;
    else if (k == "--macs")
      a.macs = static_cast<unsigned>(std::stoul(v));
    else if (k == "--window")
      a.window = static_cast<unsigned>(std::stoul(v));
    else if (k == "--seconds")
      a.seconds = std::stod(v);
    else if (k == "--label")
      a.label = v;
    else
      return false;
  }
  return a.macs > 0 && a.window > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    usage();
    return 2;
  }
  const auto server = Ipv4::parse(args.server);
  const auto giaddr = Ipv4::parse(args.giaddr);
  if (!server || !giaddr) {
    std::fprintf(stderr, "bootp_bench: --server and --giaddr take IPv4 addresses\n");
    return 2;
  }
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  const int buf = 8 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_port = htons(67);
  me.sin_addr.s_addr = htonl(giaddr->value());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof me) != 0) {
    std::fprintf(stderr, "bootp_bench: cannot bind %s:67: %s\n", args.giaddr.c_str(), std::strerror(errno));
    return 1;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(67);
  to.sin_addr.s_addr = htonl(server->value());

  // One request template; chaddr and xid change per send.
  Packet req;
  req.hops = 1;
  req.giaddr = *giaddr;
  const auto tmpl = encode(req);

  struct Slot {
    std::uint32_t xid = 0;
    Clock::time_point sent;
    bool busy = false;
  };
  std::vector<Slot> slots(args.window);
  std::mt19937_64 rng(7);
  std::uint32_t next_xid = 1;
  bk::tools::SendBatch<> tx;
  bk::tools::ReceiveBatch<> rx;
  std::vector<std::vector<std::uint8_t>> out(tx.capacity, tmpl);

  const auto queue = [&](std::size_t slot) {
    Slot& s = slots[slot];
    s.xid = next_xid++ * static_cast<std::uint32_t>(args.window) + static_cast<std::uint32_t>(slot);
    s.sent = Clock::now();
    s.busy = true;
    auto& b = out[tx.size()];
    b[4] = static_cast<std::uint8_t>(s.xid >> 24);
    b[5] = static_cast<std::uint8_t>(s.xid >> 16);
    b[6] = static_cast<std::uint8_t>(s.xid >> 8);
    b[7] = static_cast<std::uint8_t>(s.xid);
    const std::uint64_t mac = 0x525400000000ull + rng() % args.macs;
    for (int i = 0; i < 6; ++i)
      b[28 + i] = static_cast<std::uint8_t>(mac >> (8 * (5 - i)));
    tx.add(b, to);
    if (tx.full()) tx.flush(fd);
  };

  std::vector<std::uint32_t> latency_us;
  latency_us.reserve(4'000'000);
  std::uint64_t replies = 0, lost = 0, strays = 0;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.seconds));
  for (std::size_t s = 0; s < slots.size(); ++s)
    queue(s);
  tx.flush(fd);
  auto last_sweep = Clock::now();
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 20);
    for (;;) {
      const std::size_t n = rx.receive(fd);
      if (n == 0) break;
      const auto now = Clock::now();
      for (std::size_t i = 0; i < n; ++i) {
        const auto b = rx[i];
        if (b.size() < kHeaderSize || b[0] != kBootReply) {
          ++strays;
          continue;
        }
        const std::uint32_t xid =
            (std::uint32_t{b[4]} << 24) | (std::uint32_t{b[5]} << 16) | (std::uint32_t{b[6]} << 8) | b[7];
        const std::size_t slot = xid % args.window;
        Slot& s = slots[slot];
        if (!s.busy || s.xid != xid) {
          ++strays;
          continue;
        }
        s.busy = false;
        ++replies;
        latency_us.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - s.sent).count()));
        if (now < end) queue(slot);
      }
      tx.flush(fd);
      if (n < rx.capacity) break;
    }
    // Requests unanswered for 200 ms are lost (a server under overload drops some); send anew.
    const auto now = Clock::now();
    if (now - last_sweep > std::chrono::milliseconds(50)) {
      last_sweep = now;
      for (std::size_t s = 0; s < slots.size(); ++s) {
        if (slots[s].busy && now - slots[s].sent > std::chrono::milliseconds(200)) {
          ++lost;
          queue(s);
        }
      }
      tx.flush(fd);
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latency_us.begin(), latency_us.end());
  const auto pct = [&](double q) -> unsigned {
    if (latency_us.empty()) return 0;
    return latency_us[std::min(latency_us.size() - 1,
                               static_cast<std::size_t>(q * static_cast<double>(latency_us.size())))];
  };
  std::printf(
      "%s: %u hosts, window %u, %.1f s: %.0f replies/s, p50 %u us, p99 %u us, lost %llu, strays %llu\n",
      args.label.c_str(), args.macs, args.window, elapsed, static_cast<double>(replies) / elapsed, pct(0.50),
      pct(0.99), static_cast<unsigned long long>(lost), static_cast<unsigned long long>(strays));
  std::printf("RESULT %s replies_per_s=%.0f p50_us=%u p99_us=%u lost=%llu\n", args.label.c_str(),
              static_cast<double>(replies) / elapsed, pct(0.50), pct(0.99),
              static_cast<unsigned long long>(lost));
  ::close(fd);
  return replies > 0 ? 0 : 1;
}
