#pragma once
// The BOOTP server's socket: receives requests in batches (recvmmsg) with the interface they
// came in on (IP_PKTINFO), asks the Responder, carries out its Decision and sends the replies in
// batches (sendmmsg), routed per RFC 1542 §5.4.
#include <memory>
#include <string>
#include <vector>

#include "server/bootp/counters.hpp"
#include "server/bootp/responder.hpp"

namespace boost::asio {
class io_context;
}
namespace bk::db {
class Inventory;
}
namespace bk::server {
class EventBus;
}

namespace bk::bootp {

struct TransportOptions {
  std::string listen = "0.0.0.0:67";
  std::vector<std::string> interfaces;  // empty: every interface
  double rate_limit = 10;               // replies per second per MAC; 0 turns it off
  std::uint16_t client_port = 68;       // where clients listen (tests may move both ports)
};

class Transport {
 public:
  // Binds the socket; throws std::runtime_error naming the address and the fix.
  Transport(boost::asio::io_context& io, TransportOptions options, Responder responder,
            db::Inventory& inventory, server::EventBus& events, Counters& counters);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bk::bootp
