#include "server/bootp/transport.hpp"

#include <utility>  // before Asio: Boost 1.74's coroutine support needs it with g++ 12

#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <set>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "db/bytes.hpp"
#include "db/inventory.hpp"
#include "server/bootp/delivery.hpp"
#include "server/bootp/rate_limiter.hpp"
#include "server/bootp/seen_recently.hpp"
#include "server/event_bus.hpp"

namespace bk::bootp {
namespace {

constexpr std::size_t kBatch = 64;
// A pool binding writes the inventory on this thread, so every other client's reply waits for
// it: it waits at most this long for the write lock (held by an import in another process, or
// by the event writer waiting for one), then the request is dropped as inventory_busy and the
// client asks again.
constexpr std::chrono::milliseconds kPoolWriteWait{200};
// After such a refusal pool bindings are refused at once for a while, so that clients asking in
// a loop cannot make the others wait kPoolWriteWait on every request.
constexpr double kPoolBusyPause = 1.0;
constexpr std::size_t kBufferSize = 2048;  // larger datagrams arrive truncated and are dropped
// Aligned for cmsghdr (UBSan caught plain char arrays at odd addresses).
using ControlBuffer = PktinfoControl;

sockaddr_in parse_listen(const std::string& text) {
  const auto e = db::Endpoint::parse(text, 67, "--bootp-listen");
  return db::to_sockaddr(e.address, e.port);
}

std::string_view route_name(Route::Kind k) {
  switch (k) {
    case Route::Kind::relay:
      return "relay";
    case Route::Kind::client_ciaddr:
      return "ciaddr";
    case Route::Kind::broadcast:
      return "broadcast";
    case Route::Kind::unicast_arp:
      return "unicast";
  }
  return "?";
}

// A message of one buffer to or from `addr`; control space is added by the caller.
msghdr single_buffer(sockaddr_in& addr, iovec& iov) {
  msghdr h{};
  h.msg_name = &addr;
  h.msg_namelen = sizeof addr;
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  return h;
}

}  // namespace

struct Transport::Impl {
  Impl(boost::asio::io_context& io_, TransportOptions o, Responder r, db::Inventory& inv,
       server::EventBus& ev, Counters& c)
      : io(io_),
        socket(io_),
        options(std::move(o)),
        responder(std::move(r)),
        inventory(inv),
        events(ev),
        counters(c),
        limiter(options.rate_limit) {}

  boost::asio::io_context& io;
  boost::asio::ip::udp::socket socket;
  TransportOptions options;
  Responder responder;
  db::Inventory& inventory;
  server::EventBus& events;
  Counters& counters;
  RateLimiter limiter;
  // One reply event per MAC each 5 s: a client's retries say nothing new, and a boot storm must
  // not spend its CPU on the event log.
  SeenRecently reply_events{5.0};
  std::set<int> allowed_interfaces;
  bool arp_permitted = true;
  // Pool bindings are refused without waiting until then; the count since the last that
  // succeeded.
  double pool_busy_until = 0;
  std::uint64_t pool_busy_refusals = 0;

  // Receive side.
  std::array<std::array<std::uint8_t, kBufferSize>, kBatch> rx{};
  std::array<ControlBuffer, kBatch> rx_control{};
  std::array<sockaddr_in, kBatch> rx_from{};
  std::array<iovec, kBatch> rx_iov{};
  std::array<mmsghdr, kBatch> rx_msgs{};

  // Send side.
  std::array<std::vector<std::uint8_t>, kBatch> tx{};
  std::array<sockaddr_in, kBatch> tx_to{};
  std::array<ControlBuffer, kBatch> tx_control{};
  std::array<iovec, kBatch> tx_iov{};
  std::array<mmsghdr, kBatch> tx_msgs{};
  std::size_t tx_count = 0;
  // What flush() hands to sendmmsg: runs of like replies merged (see coalesce()).
  std::array<mmsghdr, kBatch> tx_sends{};
  std::array<std::size_t, kBatch> tx_replies{};
  std::size_t tx_send_count = 0;
  bool gso = true;

  void open();
  void wait();
  void drain();
  void handle(std::size_t i, std::shared_ptr<const db::Snapshot>& snap);
  void carry_out(const Decision& d, const Packet& request, const Arrival& arrival,
                 std::shared_ptr<const db::Snapshot>& snap);
  void refuse_pool_busy(const Packet& request, const std::string& why);
  void queue(const Packet& reply, const Route& route);
  bool add_arp_entry(const Route& route, const Packet& reply);
  void coalesce(std::size_t from);
  void flush();
  void event(const char* kind, const Packet& request, db::EventDetail detail,
             std::optional<db::Ipv4> ip = {});
};

void Transport::Impl::open() {
  const sockaddr_in sa = parse_listen(options.listen);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("BOOTP socket: ") + std::strerror(errno));
  socket.assign(boost::asio::ip::udp::v4(), fd);
  const int one = 1;
  // No SO_REUSEADDR: a second server on the same port must fail to start, not share the requests.
  ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  const int buf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const int e = errno;
    throw std::runtime_error("BOOTP: cannot listen on " + options.listen + ": " + std::strerror(e) +
                             (e == EACCES       ? " (port 67 needs root or CAP_NET_BIND_SERVICE)"
                              : e == EADDRINUSE ? " (another DHCP/BOOTP server runs here: stop it, or "
                                                  "pass --no-bootp)"
                                                : ""));
  }
  for (const auto& name : options.interfaces) {
    const unsigned idx = ::if_nametoindex(name.c_str());
    if (idx == 0)
      throw std::runtime_error("--interface " + name + ": no such network interface (see `ip link`)");
    allowed_interfaces.insert(static_cast<int>(idx));
  }
  for (std::size_t i = 0; i < kBatch; ++i) {
    rx_iov[i] = {rx[i].data(), rx[i].size()};
    tx[i].reserve(600);
  }
}

void Transport::Impl::wait() {
  socket.async_wait(boost::asio::ip::udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) return;
    try {
      drain();
    } catch (const std::exception& e) {
      // A batch that failed outside the per-request guard (an allocation, a send): the socket
      // stays armed and the next batch is served.
      counters.drop(Drop::internal_error);
      spdlog::error("BOOTP batch failed: {}", e.what());
      tx_count = 0;
    }
    wait();
  });
}

void Transport::Impl::drain() {
  std::shared_ptr<const db::Snapshot> snap;
  // Bounded, so that timers and other sockets get their turn under a flood.
  for (int round = 0; round < 16; ++round) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      auto& h = rx_msgs[i].msg_hdr;
      h = single_buffer(rx_from[i], rx_iov[i]);
      h.msg_control = rx_control[i].bytes.data();
      h.msg_controllen = rx_control[i].bytes.size();
    }
    const int n = ::recvmmsg(socket.native_handle(), rx_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    snap = inventory.snapshot();  // one picture per batch
    for (int i = 0; i < n; ++i)
      handle(static_cast<std::size_t>(i), snap);
    flush();
    if (static_cast<std::size_t>(n) < kBatch) break;
  }
}

void Transport::Impl::handle(std::size_t i, std::shared_ptr<const db::Snapshot>& snap) {
  counters.received.fetch_add(1, std::memory_order_relaxed);
  const auto& h = rx_msgs[i].msg_hdr;
  if ((h.msg_flags & MSG_TRUNC) != 0) {
    counters.drop(Drop::malformed);
    return;
  }
  Arrival arrival;
  arrival.source = db::address_of(rx_from[i]);
  if (const auto info = db::pktinfo(h)) {
    arrival.interface_index = info->ipi_ifindex;
    arrival.local_address = db::Ipv4(ntohl(info->ipi_spec_dst.s_addr));
  }
  if (!allowed_interfaces.empty() && allowed_interfaces.count(arrival.interface_index) == 0) {
    counters.drop(Drop::other_interface);
    return;
  }

  const auto decoded = decode(std::span(rx[i].data(), rx_msgs[i].msg_len));
  if (!decoded.packet) {
    counters.drop(Drop::malformed);
    return;
  }
  const Packet& request = *decoded.packet;
  if (request.op == kBootRequest && !limiter.allow(request.mac(), db::monotonic_seconds())) {
    counters.drop(Drop::rate_limited);
    return;
  }
  // Caught once here: whatever one packet does, the server goes on with the next.
  try {
    carry_out(responder.decide(request, arrival, *snap), request, arrival, snap);
  } catch (const std::exception& e) {
    counters.drop(Drop::internal_error);
    spdlog::error("BOOTP request from {} failed: {}", request.mac().str(), e.what());
  }
}

void Transport::Impl::carry_out(const Decision& d, const Packet& request, const Arrival& arrival,
                                std::shared_ptr<const db::Snapshot>& snap) {
  switch (d.kind) {
    case Decision::Kind::reply: {
      queue(d.reply, d.route);
      // One event per machine and message type in 5 s: an OFFER and its ACK both show.
      if (reply_events.check_and_mark(request.mac(), db::monotonic_seconds(),
                                      d.reply.options.u8(53).value_or(0))) {
        return;
      }
      db::EventDetail detail;
      detail.add("hostname", d.machine->hostname)
          .add("file", d.reply.file_text())
          .add("route", route_name(d.route.kind))
          .add("via", d.route.address.str());
      if (const auto type = d.reply.options.u8(53)) {
        detail.add("dhcp", to_string(static_cast<DhcpType>(*type)));
        if (!d.note.empty()) detail.add("note", d.note);
      }
      if (const auto arch = request.client_arch()) detail.add("client_arch", std::uint64_t{*arch});
      // The PXE client's GUID (RFC 4578 option 97), to tell machines apart beyond their MAC.
      if (const auto guid = request.options.get(97); guid && guid->size() == 17) {
        detail.add("client_guid", db::to_hex(guid->subspan(1)));
      }
      event("bootp.reply", request, std::move(detail), d.reply.yiaddr);
      return;
    }
    case Decision::Kind::bind_pool: {
      if (db::monotonic_seconds() < pool_busy_until) {
        refuse_pool_busy(request, "the inventory was busy a moment ago");
        return;
      }
      std::optional<db::Machine> bound;
      try {
        inventory.write_within(kPoolWriteWait, [&](db::Draft& draft) {
          bound = draft.bind_pool(request.mac(), d.subnet_id);
          return db::FieldErrors{};
        });
      } catch (const db::Inventory::Busy& e) {
        pool_busy_until = db::monotonic_seconds() + kPoolBusyPause;
        refuse_pool_busy(request, e.what());
        return;
      } catch (const std::exception& e) {
        counters.drop(Drop::internal_error);
        spdlog::warn("pool binding for {} failed: {}", request.mac().str(), e.what());
        return;
      }
      if (pool_busy_refusals > 0) {
        spdlog::info("pool bindings go through again; {} requests were refused while the inventory was busy",
                     pool_busy_refusals);
        pool_busy_refusals = 0;
      }
      if (!bound) {
        counters.drop(Drop::pool_exhausted);
        event("bootp.pool_exhausted", request, db::EventDetail().add("note", "the pool has no free address"));
        spdlog::warn("{}: pool exhausted; no address for it", request.mac().str());
        return;
      }
      counters.pool_bindings.fetch_add(1, std::memory_order_relaxed);
      event("bootp.pool_bind", request, db::EventDetail().add("hostname", bound->hostname), bound->ip);
      snap = inventory.snapshot();
      const Decision again = responder.decide(request, arrival, *snap);
      if (again.kind == Decision::Kind::reply || again.kind == Decision::Kind::drop) {
        carry_out(again, request, arrival, snap);
      }
      return;
    }
    case Decision::Kind::record_discovered: {
      counters.drop(d.drop);
      db::Discovered s;
      s.mac = request.mac();
      if (!request.giaddr.is_zero()) s.relay = request.giaddr;
      s.vendor_class = std::string(request.options.text(60).substr(0, 255));
      s.hostname = std::string(request.options.text(12).substr(0, 255));
      if (const auto arch = request.client_arch()) s.client_arch = *arch;
      events.sighted(std::move(s));
      event("bootp.unknown", request,
            db::EventDetail()
                .add("note", d.note)
                .add("vendor_class", request.options.text(60))
                .add("client_hostname", request.options.text(12)));
      return;
    }
    case Decision::Kind::drop:
      counters.drop(d.drop);
      if (d.drop == Drop::disabled || d.drop == Drop::unknown_file || d.drop == Drop::wrong_segment ||
          d.drop == Drop::dhcp_release || d.drop == Drop::no_boot_file_for_arch)
        event("bootp.refused", request, db::EventDetail().add("note", d.note));
      return;
  }
}

void Transport::Impl::refuse_pool_busy(const Packet& request, const std::string& why) {
  counters.drop(Drop::inventory_busy);
  if (pool_busy_refusals++ == 0) {
    spdlog::warn(
        "pool binding for {} refused: {}; while the inventory stays busy pool bindings are refused "
        "(dropped as inventory_busy) and clients ask again",
        request.mac().str(), why);
  }
  event("bootp.refused", request,
        db::EventDetail().add("note",
                              "the inventory is busy (another writer holds it); the client will ask again"));
}

void Transport::Impl::event(const char* kind, const Packet& request, db::EventDetail detail,
                            std::optional<db::Ipv4> ip) {
  db::Event e;
  e.kind = kind;
  e.mac = request.mac();
  e.ip = ip;
  if (!request.giaddr.is_zero()) detail.add("relay", request.giaddr.str());
  e.detail = detail.str();
  events.publish(std::move(e));
}

bool Transport::Impl::add_arp_entry(const Route& route, const Packet& reply) {
  if (!arp_permitted || route.interface_index == 0) return false;
  const int e =
      bootp::add_arp_entry(socket.native_handle(), route.address,
                           std::span<const std::uint8_t, 6>(reply.chaddr.data(), 6), route.interface_index);
  if (e == 0) return true;
  if (e == EPERM) {
    arp_permitted = false;
    spdlog::warn(
        "cannot add ARP entries (needs CAP_NET_ADMIN): replies without the broadcast flag go out "
        "as broadcasts instead");
  }
  return false;
}

void Transport::Impl::queue(const Packet& reply, const Route& route_in) {
  Route route = route_in;
  if (route.kind == Route::Kind::unicast_arp && !add_arp_entry(route, reply)) {
    route.kind = Route::Kind::broadcast;
    route.address = db::Ipv4(0xFFFF'FFFFu);
  }
  if (route.kind == Route::Kind::relay) {
    counters.replies_relayed.fetch_add(1, std::memory_order_relaxed);
  } else if (route.kind == Route::Kind::broadcast) {
    counters.replies_broadcast.fetch_add(1, std::memory_order_relaxed);
    route.port = options.client_port;
  } else {
    counters.replies_unicast.fetch_add(1, std::memory_order_relaxed);
    route.port = options.client_port;
  }
  if (tx_count == kBatch) flush();
  const std::size_t i = tx_count++;
  encode_into(reply, tx[i]);
  tx_to[i] = db::to_sockaddr(route.address, route.port);
  tx_iov[i] = {tx[i].data(), tx[i].size()};
  auto& h = tx_msgs[i].msg_hdr;
  h = single_buffer(tx_to[i], tx_iov[i]);
  // Broadcasts and first unicasts leave by the interface the request came in on.
  if (route.kind != Route::Kind::relay && route.kind != Route::Kind::client_ciaddr &&
      route.interface_index != 0) {
    leave_by(h, tx_control[i], route.interface_index);
  }
}

// Replies to one relay agent are all alike in size (300 bytes for BOOTP): runs of them leave as
// one UDP_SEGMENT (GSO) send, which takes the stack once for the run instead of once a reply.
void Transport::Impl::coalesce(std::size_t from) {
  std::size_t out = 0;
  for (std::size_t i = from; i < tx_count;) {
    std::size_t j = i + 1;
    const auto& first = tx_msgs[i].msg_hdr;
    // A run stays within the kernel's limits: 64 segments, one 64 KiB datagram in all.
    const std::size_t max_run = std::min<std::size_t>(64, 65507 / std::max<std::size_t>(tx[i].size(), 1));
    if (gso && first.msg_control == nullptr) {
      while (j < tx_count && j - i < max_run && tx_msgs[j].msg_hdr.msg_control == nullptr &&
             tx_to[j].sin_addr.s_addr == tx_to[i].sin_addr.s_addr && tx_to[j].sin_port == tx_to[i].sin_port &&
             tx[j].size() == tx[i].size()) {
        ++j;
      }
    }
    mmsghdr m = tx_msgs[i];
    if (j - i > 1) {
      m.msg_hdr.msg_iov = &tx_iov[i];
      m.msg_hdr.msg_iovlen = j - i;
      db::segment_by(m.msg_hdr, tx_control[i], static_cast<std::uint16_t>(tx[i].size()));
    }
    tx_sends[out] = m;
    tx_replies[out] = j - i;
    ++out;
    i = j;
  }
  tx_send_count = out;
}

void Transport::Impl::flush() {
  coalesce(0);
  std::size_t sent = 0;
  while (sent < tx_send_count) {
    const int n = ::sendmmsg(socket.native_handle(), tx_sends.data() + sent,
                             static_cast<unsigned>(tx_send_count - sent), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EIO && gso && tx_replies[sent] > 1) {
        // The kernel or device refused segmentation: send one by one from now on, starting
        // with the first reply that has not gone out.
        spdlog::info("UDP segmentation offload refused; BOOTP replies go out one by one");
        gso = false;
        std::size_t first_unsent = 0;
        for (std::size_t k = 0; k < sent; ++k)
          first_unsent += tx_replies[k];
        coalesce(first_unsent);
        sent = 0;
        continue;
      }
      // One bad destination must not hold up the rest: skip it.
      counters.send_errors.fetch_add(tx_replies[sent], std::memory_order_relaxed);
      spdlog::debug("BOOTP send failed: {}", std::strerror(errno));
      ++sent;
      continue;
    }
    for (int k = 0; k < n; ++k) {
      counters.replied.fetch_add(tx_replies[sent + static_cast<std::size_t>(k)], std::memory_order_relaxed);
    }
    sent += static_cast<std::size_t>(n);
  }
  tx_count = 0;
}

Transport::Transport(boost::asio::io_context& io, TransportOptions options, Responder responder,
                     db::Inventory& inventory, server::EventBus& events, Counters& counters)
    : impl_(
          std::make_unique<Impl>(io, std::move(options), std::move(responder), inventory, events, counters)) {
  impl_->open();
  impl_->wait();
}

Transport::~Transport() = default;

std::uint16_t Transport::port() const {
  return impl_->socket.local_endpoint().port();
}

}  // namespace bk::bootp
