#pragma once
// The TFTP server: requests arrive on one socket; each transfer gets a socket of its own on an
// ephemeral port (RFC 1350) connected to its client, and a timer, all on one Asio io_context.
// The protocol rules live in the pure Transfer; this is only the I/O around it.
#include <utility>  // before Asio: Boost 1.74 needs it with g++ 12

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "db/model.hpp"
#include "db/snapshot.hpp"
#include "tftpd/image_root.hpp"
#include "tftpd/transfer.hpp"

namespace bk::tftp {

struct ServerOptions {
  std::string listen = "0.0.0.0:69";
  Limits limits;
  // Transfers at once; a request over the limit gets an ERROR ("busy"), not silence.
  std::size_t max_transfers = 1000;
  // Transfers at once from one client address (0: no limit), so that one host cannot take
  // every slot: a booting machine fetches its files one after the other.
  std::size_t max_transfers_per_client = 16;
};

struct ServerCounters {
  std::atomic<std::uint64_t> requests{0};  // read requests received
  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> finished{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> refused{0};    // no such file, path refused, write request, bad mode
  std::atomic<std::uint64_t> busy{0};       // refused for the transfer limits
  std::atomic<std::uint64_t> malformed{0};  // packets on port 69 that were not requests
  std::atomic<std::uint64_t> bytes{0};      // file bytes sent, retransmissions included
  std::atomic<std::uint64_t> retransmissions{0};
};

class Server {
 public:
  using Snapshots = std::function<std::shared_ptr<const db::Snapshot>()>;
  using Events = std::function<void(db::Event)>;

  // Binds at once; throws std::runtime_error saying what to fix when it cannot.
  Server(boost::asio::io_context& io, const ServerOptions& options, const ImageRoot& root,
         Snapshots snapshots, Events events, ServerCounters& counters);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::size_t active() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bk::tftp
