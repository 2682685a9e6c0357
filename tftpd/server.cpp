#include "tftpd/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "db/event_detail.hpp"
#include "db/udp.hpp"
#include "tftpd/codec.hpp"
#include "tftpd/file_source.hpp"

namespace bk::tftp {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

using db::address_of;
using db::to_sockaddr;

std::string endpoint_text(const sockaddr_in& sa) {
  return address_of(sa).str() + ":" + std::to_string(ntohs(sa.sin_port));
}

// A UDP socket bound to `local` (port 0: an ephemeral one); -1 with errno set on failure.
int bound_socket(db::Ipv4 local) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const sockaddr_in sa = to_sockaddr(local, 0);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

constexpr std::size_t max_packet = 65536;

}  // namespace

struct Session {
  Session(asio::io_context& io, int fd) : socket(io), timer(io) { socket.assign(udp::v4(), fd); }
  udp::socket socket;
  asio::steady_timer timer;
  std::optional<Transfer> transfer;
  Agreed agreed;
  Content content;
  std::string file;
  sockaddr_in client{};
  std::optional<db::Mac> mac;
  std::uint64_t started_ms = 0;
  bool done = false;
  std::chrono::steady_clock::time_point deadline;
  bool timer_pending = false;
  static constexpr std::uint64_t read_ahead = 16384;
  // ACKs and ERRORs; anything longer is cut, which changes nothing for a packet that has no
  // place in a read.
  std::array<std::uint8_t, 1024> inbox{};
  std::vector<std::uint8_t> cached;
  std::uint64_t cached_at = 0;
};

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& io_, const ServerOptions& o, const ImageRoot& root, Snapshots s, Events e,
       ServerCounters& c)
      : io(io_),
        options(o),
        files(root),
        snapshots(std::move(s)),
        events(std::move(e)),
        counters(c),
        main(io_) {
    scratch.resize(std::size_t{options.limits.max_windowsize} *
                   std::max<std::size_t>(options.limits.max_blksize, 512));
    headers.resize(options.limits.max_windowsize);
    inbox.resize(max_packet);
  }

  void bind() {
    const auto ep = db::Endpoint::parse(options.listen, 69, "--tftp-listen");
    listen_address = ep.address;
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      throw std::runtime_error(std::string("TFTP: cannot create a socket: ") + std::strerror(errno));
    const int on = 1;
    ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    const sockaddr_in sa = to_sockaddr(ep.address, ep.port);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      const int e = errno;
      ::close(fd);
      throw std::runtime_error("TFTP: cannot listen on " + options.listen + ": " + std::strerror(e) +
                               (e == EADDRINUSE ? " (another TFTP server runs: stop it, or pass --no-tftp)"
                                : e == EACCES   ? " (port 69 needs root or CAP_NET_BIND_SERVICE)"
                                                : ""));
    }
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    port = ntohs(bound.sin_port);
    main.assign(udp::v4(), fd);
  }

  // Asio's epoll registration is edge-triggered: a socket is read until it is empty before the
  // next wait, and a busy one is read in turns (posted) so that transfers are not starved.
  void wait_requests() {
    main.async_wait(udp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->drain_requests();
    });
  }

  void drain_requests() {
    if (read_requests()) return wait_requests();
    asio::post(io, [self = shared_from_this()] {
      if (self->main.is_open()) self->drain_requests();
    });
  }

  // True when the socket is empty.
  bool read_requests() {
    for (int i = 0; i < 64; ++i) {
      sockaddr_in from{};
      db::PktinfoControl control{};
      iovec iov{inbox.data(), inbox.size()};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.bytes.data();
      msg.msg_controllen = control.bytes.size();
      const ssize_t n = ::recvmsg(main.native_handle(), &msg, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return true;  // empty (EAGAIN), or an error that the next readiness retries
      }
      db::Ipv4 local = listen_address;
      if (const auto info = db::pktinfo(msg)) local = db::Ipv4(ntohl(info->ipi_spec_dst.s_addr));
      try {
        on_request(std::span(inbox.data(), static_cast<std::size_t>(n)), from, local);
      } catch (const std::exception& ex) {
        publish("tftp.error", from, std::nullopt,
                db::EventDetail().add("why", std::string("internal error: ") + ex.what()));
      }
    }
    return false;
  }

  // An ERROR from a fresh port: requests are answered from the transfer's own TID.
  void refuse(const sockaddr_in& client, db::Ipv4 local, ErrorCode code, std::string_view message) {
    const int fd = bound_socket(local);
    if (fd < 0) return;
    std::vector<std::uint8_t> out;
    encode_error(out, code, message);
    ::sendto(fd, out.data(), out.size(), 0, reinterpret_cast<const sockaddr*>(&client), sizeof client);
    ::close(fd);
  }

  void on_request(std::span<const std::uint8_t> bytes, const sockaddr_in& from, db::Ipv4 local) {
    if (from.sin_port == 0) return;
    const Decoded d = decode(bytes);
    if (const auto* bad = std::get_if<Malformed>(&d)) {
      ++counters.malformed;
      // A request we cannot read is answered (RFC 1350: error 4); anything else is silence.
      if (bytes.size() >= 2 && bytes[0] == 0 && (bytes[1] == 1 || bytes[1] == 2)) {
        refuse(from, local, ErrorCode::illegal_operation, "malformed request: " + bad->why);
      }
      return;
    }
    const auto* req = std::get_if<Request>(&std::get<Packet>(d));
    if (req == nullptr) {
      ++counters.malformed;  // DATA, ACK, ERROR or OACK to port 69 belong to no transfer
      return;
    }
    ++counters.requests;
    const std::string file = req->filename.substr(0, 256);
    const auto refuse_with = [&](ErrorCode code, const std::string& why) {
      ++counters.refused;
      refuse(from, local, code, why);
      publish("tftp.error", from, std::nullopt, db::EventDetail().add("file", file).add("why", why));
    };
    if (req->op == Opcode::wrq) {
      return refuse_with(ErrorCode::access_violation,
                         "write requests are refused: images are uploaded through the REST API");
    }
    if (req->mode != "octet" && req->mode != "netascii") {
      return refuse_with(ErrorCode::illegal_operation,
                         "transfer mode \"" + req->mode.substr(0, 32) + "\" is not supported: use octet");
    }
    if (sessions.size() >= options.max_transfers) {
      ++counters.busy;
      refuse(from, local, ErrorCode::not_defined,
             "server busy: " + std::to_string(sessions.size()) + " transfers running, try again");
      return;
    }
    if (options.max_transfers_per_client > 0) {
      const auto mine =
          static_cast<std::size_t>(std::count_if(sessions.begin(), sessions.end(), [&](const auto& kv) {
            return kv.second->client.sin_addr.s_addr == from.sin_addr.s_addr;
          }));
      if (mine >= options.max_transfers_per_client) {
        ++counters.busy;
        refuse(from, local, ErrorCode::not_defined,
               "server busy: " + std::to_string(mine) + " transfers to your address running, try again");
        return;
      }
    }
    const auto snap = snapshots();
    auto opened = files.open(req->filename, req->mode == "netascii", *snap, address_of(from));
    if (const auto* no = std::get_if<Refusal>(&opened)) return refuse_with(no->code, no->why);

    const int fd = bound_socket(local);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) {
      if (fd >= 0) ::close(fd);
      return refuse_with(ErrorCode::not_defined,
                         std::string("server cannot open a socket: ") + std::strerror(errno));
    }
    auto s = std::make_shared<Session>(io, fd);
    s->content = std::move(std::get<Content>(opened));
    s->file = file;
    s->client = from;
    if (s->content.machine != nullptr) {
      s->mac = s->content.machine->mac;
    } else if (const db::Machine* m = snap->machine_by_ip(address_of(from))) {
      s->mac = m->mac;
    }
    s->content.machine = nullptr;  // it points into `snap`, which this session does not keep
    s->agreed = negotiate(req->options, s->content.size, options.limits);
    s->transfer.emplace(s->agreed, s->content.size, options.limits);
    s->started_ms = now_ms();
    sessions.emplace(s.get(), s);
    ++counters.started;
    db::EventDetail detail;
    detail.add("file", file).add("size", s->content.size).add("blksize", std::uint64_t{s->agreed.blksize});
    if (s->agreed.windowsize > 1) detail.add("windowsize", std::uint64_t{s->agreed.windowsize});
    if (s->content.generated()) detail.add("generated", "yes");
    publish("tftp.start", from, s->mac, detail);
    act(s, s->transfer->start(now_ms()));
    if (!s->done) receive_packets(s);
  }

  // One datagram at a time into the session's own buffer. async_receive tries the read at once
  // and only waits when nothing is there; async_wait re-armed the descriptor in epoll with a
  // system call for every packet. A client whose port is closed (ICMP port unreachable on the
  // connected socket) has gone: its transfer ends now rather than after the retries.
  void receive_packets(const std::shared_ptr<Session>& s) {
    s->socket.async_receive(asio::buffer(s->inbox), [self = shared_from_this(), s](
                                                        const boost::system::error_code& ec, std::size_t n) {
      if (s->done) return;
      if (ec == asio::error::connection_refused) {
        return self->finish(s, false, "the client went away (its port is closed)");
      }
      if (ec == asio::error::operation_aborted) return;
      if (ec) return self->finish(s, false, "cannot receive from the client: " + ec.message());
      const Decoded d = decode(std::span(s->inbox.data(), n));
      if (const auto* p = std::get_if<Packet>(&d)) self->act(s, s->transfer->on_packet(*p, now_ms()));
      if (!s->done) self->receive_packets(s);
    });
  }

  // The retransmission deadline moves with every ACK; the timer is set only when it must fire
  // earlier than it would, and otherwise waits out its old expiry and then the rest. A timer
  // set per block cost a system call per block.
  void arm(const std::shared_ptr<Session>& s, std::uint32_t ms) {
    s->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    if (s->timer_pending && s->timer.expiry() <= s->deadline) return;
    wait_timer(s);
  }

  void wait_timer(const std::shared_ptr<Session>& s) {
    s->timer.expires_at(s->deadline);
    s->timer_pending = true;
    s->timer.async_wait([self = shared_from_this(), s](const boost::system::error_code& ec) {
      if (ec == asio::error::operation_aborted && !s->done) return;  // replaced by an earlier one
      s->timer_pending = false;
      if (ec || s->done) return;
      if (std::chrono::steady_clock::now() < s->deadline) return self->wait_timer(s);
      ++self->counters.retransmissions;
      self->act(s, s->transfer->on_timeout(now_ms()));
    });
  }

  void send(const std::shared_ptr<Session>& s, const std::vector<std::uint8_t>& packet) {
    ::send(s->socket.native_handle(), packet.data(), packet.size(), 0);
  }

  // The bytes of [offset, offset+total): a window is read whole into the shared scratch buffer;
  // blocks sent one at a time come from the session's read-ahead, one read per 16 KiB.
  const std::uint8_t* file_bytes(Session& s, std::uint64_t offset, std::uint64_t total) {
    if (total == 0) return scratch.data();  // an empty last block: nothing to read
    if (total >= Session::read_ahead) {
      if (total > scratch.size() || !s.content.read(offset, std::span(scratch.data(), total))) return nullptr;
      return scratch.data();
    }
    if (offset < s.cached_at || offset + total > s.cached_at + s.cached.size()) {
      const std::uint64_t n = std::min<std::uint64_t>(Session::read_ahead, s.content.size - offset);
      if (n < total) return nullptr;
      s.cached.resize(n);
      if (!s.content.read(offset, s.cached)) return nullptr;
      s.cached_at = offset;
    }
    return s.cached.data() + (offset - s.cached_at);
  }

  // DATA blocks [first, first+count) in one read and one sendmmsg.
  bool send_blocks(const std::shared_ptr<Session>& s, std::uint64_t first, std::uint32_t count) {
    const Transfer& t = *s->transfer;
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i < count; ++i)
      total += t.block_length(first + i);
    const std::uint8_t* bytes_of_window = file_bytes(*s, t.block_offset(first), total);
    if (bytes_of_window == nullptr) return false;
    std::array<std::array<iovec, 2>, 64> iovs{};
    std::size_t offset = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint32_t len = t.block_length(first + i);
      encode_data_header(headers[i].data(), static_cast<std::uint16_t>(first + i));
      iovs[i][0] = {headers[i].data(), 4};
      iovs[i][1] = {const_cast<std::uint8_t*>(bytes_of_window) + offset, len};
      offset += len;
    }
    // A full send buffer loses the rest of the window; the timer sends it again.
    const std::uint32_t sent = count > 1 && gso ? send_segmented(*s, iovs.data(), count) : 0;
    const std::uint32_t rest = sent < count ? send_each(*s, iovs.data() + sent, count - sent) : 0;
    std::uint64_t bytes = 0;
    for (std::uint32_t i = 0; i < sent + rest; ++i)
      bytes += t.block_length(first + i);
    counters.bytes += bytes;
    return true;
  }

  // A window as UDP GSO sends (UDP_SEGMENT): each block is one segment of blksize + 4 bytes (the
  // last may be shorter), and the stack is taken once per send instead of once per block. Returns
  // the blocks sent; a kernel without it turns GSO off for good.
  std::uint32_t send_segmented(Session& s, const std::array<iovec, 2>* blocks, std::uint32_t count) {
    const std::size_t segment = s.agreed.blksize + 4U;
    const std::uint32_t per_send = std::min<std::uint32_t>(64, static_cast<std::uint32_t>(65507 / segment));
    if (per_send < 2) return 0;
    std::uint32_t done = 0;
    while (done < count) {
      const std::uint32_t n = std::min(per_send, count - done);
      db::PktinfoControl control{};
      msghdr msg{};
      msg.msg_iov = const_cast<iovec*>(blocks[done].data());
      msg.msg_iovlen = std::size_t{2} * n;
      db::segment_by(msg, control, static_cast<std::uint16_t>(segment));
      if (::sendmsg(s.socket.native_handle(), &msg, 0) < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) gso = false;
        return done;
      }
      done += n;
    }
    return done;
  }

  std::uint32_t send_each(Session& s, const std::array<iovec, 2>* blocks, std::uint32_t count) {
    if (count == 1) {  // lock-step: the common case, without a message array to fill
      return ::writev(s.socket.native_handle(), blocks[0].data(), 2) >= 0 ? 1 : 0;
    }
    std::array<mmsghdr, 64> msgs{};
    for (std::uint32_t i = 0; i < count; ++i) {
      msgs[i].msg_hdr.msg_iov = const_cast<iovec*>(blocks[i].data());
      msgs[i].msg_hdr.msg_iovlen = 2;
    }
    const int sent = ::sendmmsg(s.socket.native_handle(), msgs.data(), count, 0);
    return sent > 0 ? static_cast<std::uint32_t>(sent) : 0;
  }

  void act(const std::shared_ptr<Session>& s, const Actions& a) {
    if (a.send_error) {
      std::vector<std::uint8_t> out;
      encode_error(out, *a.send_error, a.error_message);
      send(s, out);
    }
    if (a.send_oack) {
      std::vector<std::uint8_t> out;
      encode_oack(out, s->agreed.oack);
      send(s, out);
    }
    if (a.count > 0 && !send_blocks(s, a.first, a.count)) {
      std::vector<std::uint8_t> out;
      encode_error(out, ErrorCode::not_defined, "the file changed while it was being sent");
      send(s, out);
      return finish(s, false, "the file became shorter while it was being sent");
    }
    if (a.arm_timer_ms > 0) arm(s, a.arm_timer_ms);
    if (a.end == Actions::End::done) finish(s, true, a.why);
    if (a.end == Actions::End::failed) finish(s, false, a.why);
  }

  void finish(const std::shared_ptr<Session>& s, bool ok, const std::string& why) {
    if (s->done) return;
    s->done = true;
    const double seconds = static_cast<double>(now_ms() - s->started_ms) / 1000.0;
    db::EventDetail detail;
    detail.add("file", s->file);
    if (ok) {
      ++counters.finished;
      detail.add("bytes", s->content.size).add("seconds", seconds);
      detail.add("blksize", std::uint64_t{s->agreed.blksize})
          .add("windowsize", std::uint64_t{s->agreed.windowsize});
      detail.add("retransmissions", s->transfer->retransmissions());
      if (!why.empty()) detail.add("note", why);
    } else {
      ++counters.failed;
      const std::uint64_t sent = std::min(s->transfer->acked() * s->agreed.blksize, s->content.size);
      detail.add("why", why).add("bytes_acknowledged", sent).add("seconds", seconds);
    }
    publish(ok ? "tftp.finish" : "tftp.error", s->client, s->mac, detail);
    boost::system::error_code ignored;
    s->timer.cancel();
    s->socket.close(ignored);
    sessions.erase(s.get());
  }

  void publish(const char* kind, const sockaddr_in& client, std::optional<db::Mac> mac,
               const db::EventDetail& d) {
    if (!events) return;
    db::Event e;
    e.kind = kind;
    e.mac = mac;
    e.ip = address_of(client);
    e.detail = db::EventDetail(d).add("client", endpoint_text(client)).str();
    events(std::move(e));
  }

  void stop() {
    boost::system::error_code ignored;
    main.close(ignored);
    auto all = sessions;
    for (auto& [p, s] : all) {
      s->done = true;
      s->timer.cancel();
      s->socket.close(ignored);
    }
    sessions.clear();
  }

  asio::io_context& io;
  ServerOptions options;
  FileSource files;
  Snapshots snapshots;
  Events events;
  ServerCounters& counters;
  udp::socket main;
  db::Ipv4 listen_address;
  std::uint16_t port = 0;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
  std::vector<std::uint8_t> scratch;
  std::vector<std::array<std::uint8_t, 4>> headers;
  bool gso = true;
  std::vector<std::uint8_t> inbox;
};

Server::Server(asio::io_context& io, const ServerOptions& options, const ImageRoot& root, Snapshots snapshots,
               Events events, ServerCounters& counters)
    : impl_(std::make_shared<Impl>(io, options, root, std::move(snapshots), std::move(events), counters)) {
  if (options.limits.max_windowsize > 64) throw std::runtime_error("TFTP: the window limit is 64 blocks");
  impl_->bind();
  impl_->wait_requests();
}

Server::~Server() {
  impl_->stop();
}

std::uint16_t Server::port() const {
  return impl_->port;
}
std::size_t Server::active() const {
  return impl_->sessions.size();
}

}  // namespace bk::tftp
