// Fuzz target: the relay agent on any datagram from either side. Whatever arrives, a forwarded
// request carries one more hop (within the limit) and a giaddr, a delivered reply is one for our
// own giaddr, and the bytes passed on differ from those received in hops and giaddr only.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "server/relay/relay.hpp"

namespace {

using namespace bk;

const relay::Settings& settings() {
  static const relay::Settings s = [] {
    relay::Settings r;
    r.client_side = {{3, "q1", *db::Ipv4::parse("198.18.10.1")}, {4, "q4", *db::Ipv4::parse("198.18.11.1")}};
    return r;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int ifindex = 1 + (data[0] % 5);  // 3 and 4 are client-side
  const std::span<const std::uint8_t> datagram(data + 1, size - 1);
  const auto decoded = bootp::decode(datagram);
  if (!decoded.packet) return 0;
  const bootp::Packet& in = *decoded.packet;
  const relay::Action a = relay::decide(in, ifindex, settings());
  switch (a.kind) {
    case relay::Action::Kind::to_servers:
      FUZZ_CHECK(in.op == bootp::kBootRequest && (ifindex == 3 || ifindex == 4));
      FUZZ_CHECK(a.packet.hops == in.hops + 1 && a.packet.hops <= settings().max_hops);
      FUZZ_CHECK(!a.packet.giaddr.is_zero());
      FUZZ_CHECK(in.giaddr.is_zero() ? a.packet.giaddr == a.via->address : a.packet.giaddr == in.giaddr);
      break;
    case relay::Action::Kind::to_client:
      FUZZ_CHECK(in.op == bootp::kBootReply && in.giaddr == a.via->address);
      FUZZ_CHECK(a.route.interface_index == a.via->index);
      break;
    case relay::Action::Kind::drop:
      FUZZ_CHECK(a.drop != relay::Drop::none);
      return 0;
  }
  const auto out = relay::rewrite(datagram, a.packet);
  FUZZ_CHECK(out.size() == datagram.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    if (i != 3 && (i < 24 || i >= 28)) FUZZ_CHECK(out[i] == datagram[i]);
  const auto again = bootp::decode(out);
  FUZZ_CHECK(again.packet && again.packet->hops == a.packet.hops && again.packet->giaddr == a.packet.giaddr);
  return 0;
}
