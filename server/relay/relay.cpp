#include "server/relay/relay.hpp"

#include <algorithm>
#include <array>

namespace bk::relay {

std::string_view to_string(Drop d) {
  static constexpr std::array names{"none", "malformed", "not_client_side", "too_many_hops", "not_ours"};
  static_assert(names.size() == static_cast<std::size_t>(Drop::count_), "every Drop needs a name");
  return names.at(static_cast<std::size_t>(d));
}

namespace {

Action dropped(Drop why, const Interface* via = nullptr) {
  Action a;
  a.drop = why;
  a.via = via;
  return a;
}

}  // namespace

Action decide(const bootp::Packet& p, int interface_index, const Settings& s) {
  if (p.op == bootp::kBootRequest) {
    const Interface* in = nullptr;
    for (const auto& i : s.client_side)
      if (i.index == interface_index) in = &i;
    if (in == nullptr) return dropped(Drop::not_client_side);
    if (p.hops >= s.max_hops) return dropped(Drop::too_many_hops, in);
    Action a;
    a.kind = Action::Kind::to_servers;
    a.via = in;
    a.packet = p;
    ++a.packet.hops;
    // RFC 1542 §4.1.1: a giaddr already set (another relay agent nearer the client) stays.
    if (a.packet.giaddr.is_zero()) a.packet.giaddr = in->address;
    return a;
  }
  if (p.op == bootp::kBootReply) {
    const Interface* out = nullptr;
    for (const auto& i : s.client_side)
      if (!p.giaddr.is_zero() && i.address == p.giaddr) out = &i;
    if (out == nullptr) return dropped(Drop::not_ours);
    Action a;
    a.kind = Action::Kind::to_client;
    a.via = out;
    a.packet = p;
    // RFC 1542 §5.4 as the server applies it to a client on its own segment: the reply carries
    // the request's ciaddr and broadcast flag. One rule, in bootp::route_reply.
    bootp::Packet as_if_direct = p;
    as_if_direct.giaddr = db::Ipv4{};
    a.route = bootp::route_reply(as_if_direct, p, bootp::Arrival{out->address, out->index, {}});
    return a;
  }
  return dropped(Drop::malformed);
}

std::vector<std::uint8_t> rewrite(std::span<const std::uint8_t> datagram, const bootp::Packet& forwarded) {
  std::vector<std::uint8_t> out(datagram.begin(), datagram.end());
  if (out.size() < 28) return out;  // decode refuses these before a decision is made
  out[3] = forwarded.hops;
  const auto g = forwarded.giaddr.bytes();
  std::copy(g.begin(), g.end(), out.begin() + 24);
  return out;
}

}  // namespace bk::relay
