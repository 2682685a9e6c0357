// The relay agent's decisions (RFC 951 case 2, RFC 1542 §4 and §5.4), without sockets.
#include <gtest/gtest.h>

#include <array>

#include "server/relay/relay.hpp"

using namespace bk;
using bootp::Packet;
using bootp::Route;
using relay::Action;
using relay::Drop;

namespace {

db::Ipv4 ip(const char* s) {
  return *db::Ipv4::parse(s);
}

relay::Settings settings() {
  relay::Settings s;
  s.client_side = {{3, "r1", ip("198.18.10.1")}, {4, "r2", ip("198.18.11.1")}};
  return s;
}

Packet request() {
  Packet p;
  p.op = bootp::kBootRequest;
  p.xid = 0xBEEF;
  const auto m = db::Mac::parse("52:54:00:0a:00:01")->bytes();
  std::copy(m.begin(), m.end(), p.chaddr.begin());
  return p;
}

Packet reply_to(db::Ipv4 giaddr) {
  Packet p = request();
  p.op = bootp::kBootReply;
  p.giaddr = giaddr;
  p.yiaddr = ip("198.18.10.21");
  return p;
}

}  // namespace

TEST(Relay, RequestGetsGiaddrOfItsInterfaceAndOneMoreHop) {
  const auto s = settings();
  const Action a = relay::decide(request(), 4, s);
  ASSERT_EQ(a.kind, Action::Kind::to_servers);
  EXPECT_EQ(a.packet.giaddr, ip("198.18.11.1"));
  EXPECT_EQ(a.packet.hops, 1);
  EXPECT_EQ(a.via->name, "r2");
}

TEST(Relay, GiaddrSetByAnotherRelayStays) {
  Packet p = request();
  p.giaddr = ip("198.18.99.1");
  p.hops = 2;
  const Action a = relay::decide(p, 3, settings());
  ASSERT_EQ(a.kind, Action::Kind::to_servers);
  EXPECT_EQ(a.packet.giaddr, ip("198.18.99.1"));
  EXPECT_EQ(a.packet.hops, 3);
}

TEST(Relay, HopsAtTheLimitAreDropped) {
  Packet p = request();
  p.hops = 4;
  EXPECT_EQ(relay::decide(p, 3, settings()).drop, Drop::too_many_hops);
  p.hops = 3;
  EXPECT_EQ(relay::decide(p, 3, settings()).kind, Action::Kind::to_servers);
}

TEST(Relay, RequestFromTheServerSideIsDropped) {
  EXPECT_EQ(relay::decide(request(), 2, settings()).drop, Drop::not_client_side);
}

TEST(Relay, ReplyWhoseGiaddrIsNotOursIsDropped) {
  EXPECT_EQ(relay::decide(reply_to(ip("198.18.12.1")), 2, settings()).drop, Drop::not_ours);
  EXPECT_EQ(relay::decide(reply_to(db::Ipv4{}), 2, settings()).drop, Drop::not_ours);
}

TEST(Relay, OtherOpsAreMalformed) {
  Packet p = request();
  p.op = 7;
  EXPECT_EQ(relay::decide(p, 3, settings()).drop, Drop::malformed);
}

// RFC 1542 §5.4 out the interface that owns giaddr.
TEST(Relay, ReplyRoutesTable) {
  const auto s = settings();
  Packet p = reply_to(ip("198.18.10.1"));
  Action a = relay::decide(p, 2, s);
  ASSERT_EQ(a.kind, Action::Kind::to_client);
  EXPECT_EQ(a.route.kind, Route::Kind::unicast_arp);  // no broadcast flag, no ciaddr
  EXPECT_EQ(a.route.address, ip("198.18.10.21"));
  EXPECT_EQ(a.route.interface_index, 3);

  p.flags = bootp::kBroadcastFlag;
  a = relay::decide(p, 2, s);
  EXPECT_EQ(a.route.kind, Route::Kind::broadcast);
  EXPECT_EQ(a.route.address, ip("255.255.255.255"));
  EXPECT_EQ(a.route.interface_index, 3);

  p.flags = 0;
  p.ciaddr = ip("198.18.10.77");
  a = relay::decide(p, 2, s);
  EXPECT_EQ(a.route.kind, Route::Kind::client_ciaddr);
  EXPECT_EQ(a.route.address, ip("198.18.10.77"));

  a = relay::decide(reply_to(ip("198.18.11.1")), 2, s);
  EXPECT_EQ(a.via->name, "r2");
  EXPECT_EQ(a.route.interface_index, 4);
}

TEST(Relay, RewriteChangesOnlyHopsAndGiaddr) {
  Packet p = request();
  const std::array<std::uint8_t, 3> prl{1, 3, 6};
  p.cookie = true;
  p.options.add(55, prl);
  std::vector<std::uint8_t> wire = bootp::encode(p);
  wire.push_back(0xAB);  // trailing bytes a client sent: passed on as they are
  const auto decoded = bootp::decode(wire);
  ASSERT_TRUE(decoded.packet);
  const Action a = relay::decide(*decoded.packet, 3, settings());
  const auto out = relay::rewrite(wire, a.packet);
  ASSERT_EQ(out.size(), wire.size());
  for (std::size_t i = 0; i < wire.size(); ++i) {
    if (i == 3) {
      EXPECT_EQ(out[i], 1);
    } else if (i >= 24 && i < 28) {
      EXPECT_EQ(out[i], ip("198.18.10.1").bytes()[i - 24]);
    } else {
      EXPECT_EQ(out[i], wire[i]) << "byte " << i;
    }
  }
}
