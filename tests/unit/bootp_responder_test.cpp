// The Responder, one case per rule of issue 3, on a Snapshot built in memory.
#include <gtest/gtest.h>

#include <set>

#include <map>

#include "db/document.hpp"
#include "db/draft.hpp"
#include "lab.hpp"
#include "server/bootp/responder.hpp"

using namespace bk::bootp;
using bk::db::Draft;
using bk::db::Snapshot;

namespace {

class ResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto doc = bk::test::lab_document();
    doc["images"].push_back({{"name", "lab-efi"}, {"kind", "efi"}, {"boot_file", "efi/grubx64.efi"}});
    doc["subnets"].push_back({{"name", "far"}, {"network", "198.18.10.0/24"}, {"gateway", "198.18.10.1"}});
    doc["subnets"].push_back({{"name", "poolnet"},
                              {"network", "198.18.20.0/24"},
                              {"pool", {{"start", "198.18.20.100"}, {"end", "198.18.20.110"}}}});
    doc["machines"].push_back({{"mac", "52:54:00:00:10:01"}, {"hostname", "far01"}, {"ip", "198.18.10.5"}});
    Snapshot empty;
    Draft d(empty, "2026-12-04T00:00:00.000Z");
    const auto report = bk::db::import_document(d, doc);
    ASSERT_TRUE(report.ok()) << report.to_json().dump(2);
    snap_ = std::move(d).finish(1);
    files_["pxelinux.0"] = 42'000;
    files_["efi/grubx64.efi"] = 1'000'000;
    files_["memtest86+.bin"] = 180'000;
  }

  Responder responder(Settings s = {}) const {
    return Responder(std::move(s), BootFiles{[this](std::string_view p) -> std::optional<std::uint64_t> {
                       const auto it = files_.find(std::string(p));
                       if (it == files_.end()) return std::nullopt;
                       return it->second;
                     }});
  }
  static Packet request(const char* mac) {
    Packet p;
    p.xid = 0xCAFE;
    const auto m = Mac::parse(mac)->bytes();
    std::copy(m.begin(), m.end(), p.chaddr.begin());
    p.flags = kBroadcastFlag;
    return p;
  }
  Arrival lab_arrival() const { return {*Ipv4::parse("198.18.0.1"), 3, Ipv4{}}; }

  Snapshot snap_;
  std::map<std::string, std::uint64_t> files_;
};

}  // namespace

TEST_F(ResponderTest, RegisteredMachineGetsItsAddressFileAndOptions) {
  const auto d = responder().decide(request("52:54:00:12:34:56"), lab_arrival(), snap_);
  ASSERT_EQ(d.kind, Decision::Kind::reply);
  const Packet& r = d.reply;
  EXPECT_EQ(r.op, kBootReply);
  EXPECT_EQ(r.xid, 0xCAFEu);
  EXPECT_EQ(r.yiaddr.str(), "198.18.0.50");
  EXPECT_EQ(r.siaddr.str(), "198.18.0.1");  // next_server
  EXPECT_EQ(r.sname_text(), "bootkeeper");
  EXPECT_EQ(r.file_text(), "pxelinux.0");
  EXPECT_EQ(r.options.ip(1)->str(), "255.255.255.0");
  EXPECT_EQ(r.options.ip(3)->str(), "198.18.0.1");
  EXPECT_EQ(r.options.ip(6)->str(), "198.18.0.1");
  EXPECT_EQ(r.options.text(12), "ws01");
  EXPECT_EQ(r.options.text(15), "lab.test");
  EXPECT_EQ(r.options.text(17), "/srv/nfs/ws01");  // the machine's option beats the image's root path
  EXPECT_EQ(r.options.u16(13), 83);                // 42,000 bytes in 512-octet blocks, rounded up
  EXPECT_EQ(d.route.kind, Route::Kind::broadcast);
  EXPECT_EQ(d.route.interface_index, 3);
}

TEST_F(ResponderTest, OptionsFollowTheIssuesOrder) {
  Settings s;
  s.defaults[42] = {198, 18, 0, 1, 198, 18, 0, 2};  // 10 bytes: 53 + 10 > 59
  const auto d = responder(s).decide(request("52:54:00:12:34:56"), lab_arrival(), snap_);
  std::vector<int> codes;
  for (const auto& e : d.reply.options.entries())
    codes.push_back(e.code);
  EXPECT_EQ(codes, (std::vector<int>{1, 3, 6, 12, 15, 17, 13}));  // 42 did not fit in 64 bytes
  auto big = request("52:54:00:12:34:56");
  const std::uint8_t max[] = {0x05, 0xDC};  // option 57: 1500
  big.options.add(57, max);
  const auto d2 = responder(s).decide(big, lab_arrival(), snap_);
  codes.clear();
  for (const auto& e : d2.reply.options.entries())
    codes.push_back(e.code);
  EXPECT_EQ(codes, (std::vector<int>{1, 3, 6, 12, 15, 17, 13, 42}));
}

TEST_F(ResponderTest, SmallVendorAreaKeepsTheEssentials) {
  Settings s;
  s.defaults[18] = std::vector<std::uint8_t>(40, 'x');
  const auto d = responder(s).decide(request("52:54:00:12:34:56"), lab_arrival(), snap_);
  ASSERT_EQ(d.kind, Decision::Kind::reply);
  for (const int code : {1, 3, 12, 13})
    EXPECT_TRUE(d.reply.options.has(static_cast<std::uint8_t>(code))) << code;
  EXPECT_FALSE(d.reply.options.has(18));
  EXPECT_LE(encode(d.reply).size(), 300u);
}

TEST_F(ResponderTest, PlainRfc951ClientIsServedWithoutOptions) {
  auto p = request("52:54:00:12:34:56");
  p.cookie = false;
  p.vend.fill(0xAB);  // vendor-specific data
  const auto d = responder().decide(p, lab_arrival(), snap_);
  ASSERT_EQ(d.kind, Decision::Kind::reply);
  EXPECT_FALSE(d.reply.cookie);
  EXPECT_TRUE(d.reply.options.empty());
  EXPECT_EQ(d.reply.yiaddr.str(), "198.18.0.50");
  EXPECT_EQ(encode(d.reply).size(), 300u);
}

TEST_F(ResponderTest, BlankVendorAreaGetsRfc1048Options) {
  auto p = request("52:54:00:12:34:56");
  p.cookie = false;
  p.vendor_blank = true;
  const auto d = responder().decide(p, lab_arrival(), snap_);
  EXPECT_TRUE(d.reply.cookie);
  EXPECT_EQ(d.reply.options.text(12), "ws01");
}

TEST_F(ResponderTest, DropsWhatIsNotARequestForUs) {
  auto reply = request("52:54:00:12:34:56");
  reply.op = kBootReply;
  EXPECT_EQ(responder().decide(reply, lab_arrival(), snap_).drop, Drop::not_request);
  auto token_ring = request("52:54:00:12:34:56");
  token_ring.htype = 6;
  EXPECT_EQ(responder().decide(token_ring, lab_arrival(), snap_).drop, Drop::not_ethernet);
  auto long_hw = request("52:54:00:12:34:56");
  long_hw.hlen = 16;
  EXPECT_EQ(responder().decide(long_hw, lab_arrival(), snap_).drop, Drop::not_ethernet);
  auto hops = request("52:54:00:12:34:56");
  hops.hops = 17;
  EXPECT_EQ(responder().decide(hops, lab_arrival(), snap_).drop, Drop::too_many_hops);
  hops.hops = 16;
  EXPECT_EQ(responder().decide(hops, lab_arrival(), snap_).kind, Decision::Kind::reply);
  auto other = request("52:54:00:12:34:56");
  other.set_sname("some-other-server");
  EXPECT_EQ(responder().decide(other, lab_arrival(), snap_).drop, Drop::other_server);
  auto ours = request("52:54:00:12:34:56");
  ours.set_sname("bootkeeper");
  EXPECT_EQ(responder().decide(ours, lab_arrival(), snap_).kind, Decision::Kind::reply);
}

TEST_F(ResponderTest, DisabledMachineGetsNothing) {
  const auto d = responder().decide(request("52:54:00:12:34:57"), lab_arrival(), snap_);
  EXPECT_EQ(d.kind, Decision::Kind::drop);
  EXPECT_EQ(d.drop, Drop::disabled);
  EXPECT_NE(d.note.find("ws02"), std::string::npos);
}

TEST_F(ResponderTest, BootFileResolutionFollowsRfc951) {
  auto generic = request("52:54:00:12:34:56");
  generic.set_file("lab-bios");  // the image's name: the machine's own file
  EXPECT_EQ(responder().decide(generic, lab_arrival(), snap_).reply.file_text(), "pxelinux.0");
  auto other_image = request("52:54:00:12:34:56");
  other_image.set_file("lab-efi");
  EXPECT_EQ(responder().decide(other_image, lab_arrival(), snap_).reply.file_text(), "efi/grubx64.efi");
  auto in_store = request("52:54:00:12:34:56");
  in_store.set_file("memtest86+.bin");
  const auto d = responder().decide(in_store, lab_arrival(), snap_);
  EXPECT_EQ(d.reply.file_text(), "memtest86+.bin");
  EXPECT_EQ(d.reply.options.u16(13), 352);
  auto unknown = request("52:54:00:12:34:56");
  unknown.set_file("vmunix");
  EXPECT_EQ(responder().decide(unknown, lab_arrival(), snap_).drop, Drop::unknown_file);
}

TEST_F(ResponderTest, UnknownMacWithoutPoolIsDiscovered) {
  const Arrival far{*Ipv4::parse("198.18.10.1"), 4, Ipv4{}};
  const auto d = responder().decide(request("52:54:00:99:99:99"), far, snap_);
  EXPECT_EQ(d.kind, Decision::Kind::record_discovered);
  EXPECT_EQ(d.drop, Drop::unknown_client);
  EXPECT_EQ(d.subnet_id, snap_.subnet_by_name("far")->id);
  const Arrival nowhere{*Ipv4::parse("198.19.99.1"), 4, Ipv4{}};
  EXPECT_EQ(responder().decide(request("52:54:00:99:99:99"), nowhere, snap_).subnet_id, 0);
}

TEST_F(ResponderTest, UnknownMacOnAPoolSubnetBindsFromItsPool) {
  auto relayed = request("52:54:00:99:99:99");
  relayed.giaddr = *Ipv4::parse("198.18.20.1");
  const auto d = responder().decide(relayed, lab_arrival(), snap_);
  EXPECT_EQ(d.kind, Decision::Kind::bind_pool);
  EXPECT_EQ(responder().decide(request("52:54:00:99:99:99"), lab_arrival(), snap_).kind,
            Decision::Kind::bind_pool);  // lab has a pool too
  EXPECT_EQ(d.subnet_id, snap_.subnet_by_name("poolnet")->id);
  auto far = request("52:54:00:99:99:99");
  far.giaddr = *Ipv4::parse("198.18.10.1");
  EXPECT_EQ(responder().decide(far, lab_arrival(), snap_).kind, Decision::Kind::record_discovered);
}

TEST_F(ResponderTest, RepliesAreRoutedPerRfc1542) {
  auto relayed = request("52:54:00:00:10:01");
  relayed.giaddr = *Ipv4::parse("198.18.10.1");
  relayed.hops = 1;
  auto d = responder().decide(relayed, lab_arrival(), snap_);
  EXPECT_EQ(d.route.kind, Route::Kind::relay);
  EXPECT_EQ(d.route.address.str(), "198.18.10.1");
  EXPECT_EQ(d.route.port, 67);
  EXPECT_EQ(d.reply.giaddr.str(), "198.18.10.1");
  EXPECT_EQ(d.reply.options.ip(3)->str(), "198.18.10.1");
  EXPECT_EQ(d.reply.siaddr.str(), "198.18.0.1");  // no next_server on far: the receiving address

  auto knows = request("52:54:00:12:34:56");
  knows.ciaddr = *Ipv4::parse("198.18.0.50");
  d = responder().decide(knows, lab_arrival(), snap_);
  EXPECT_EQ(d.route.kind, Route::Kind::client_ciaddr);
  EXPECT_EQ(d.route.address.str(), "198.18.0.50");
  EXPECT_EQ(d.route.port, 68);

  auto unicast = request("52:54:00:12:34:56");
  unicast.flags = 0;
  d = responder().decide(unicast, lab_arrival(), snap_);
  EXPECT_EQ(d.route.kind, Route::Kind::unicast_arp);
  EXPECT_EQ(d.route.address.str(), "198.18.0.50");

  d = responder().decide(request("52:54:00:12:34:56"), lab_arrival(), snap_);
  EXPECT_EQ(d.route.kind, Route::Kind::broadcast);
  EXPECT_EQ(d.route.address.str(), "255.255.255.255");
}

TEST_F(ResponderTest, RegisteredMachineAskingFromAnotherSegmentGetsNothing) {
  auto relayed = request("52:54:00:12:34:56");   // ws01 belongs to lab
  relayed.giaddr = *Ipv4::parse("198.18.10.1");  // asks through far's relay
  const auto d = responder().decide(relayed, lab_arrival(), snap_);
  EXPECT_EQ(d.kind, Decision::Kind::drop);
  EXPECT_EQ(d.drop, Drop::wrong_segment);
  EXPECT_NE(d.note.find("belongs to subnet lab but asked from subnet far"), std::string::npos);
  // A segment the inventory does not know: answered (the server cannot tell).
  const Arrival unknown{*Ipv4::parse("198.19.99.1"), 4, Ipv4{}};
  EXPECT_EQ(responder().decide(request("52:54:00:12:34:56"), unknown, snap_).kind, Decision::Kind::reply);
}

TEST_F(ResponderTest, OptionFiftySevenIsBoundedByTheFrame) {
  Settings s;
  s.defaults[18] = std::vector<std::uint8_t>(250, 'x');
  s.defaults[14] = std::vector<std::uint8_t>(250, 'y');
  s.defaults[40] = std::vector<std::uint8_t>(250, 'z');
  s.defaults[47] = std::vector<std::uint8_t>(250, 'w');
  s.defaults[64] = std::vector<std::uint8_t>(250, 'v');
  auto huge = request("52:54:00:12:34:56");
  const std::uint8_t max[] = {0xFF, 0xFF};  // claims 65535
  huge.options.add(57, max);
  const auto d = responder(s).decide(huge, lab_arrival(), snap_);
  ASSERT_EQ(d.kind, Decision::Kind::reply);
  EXPECT_LE(encode(d.reply).size(), 1500u - 28u);
  auto small = request("52:54:00:12:34:56");
  const std::uint8_t tiny[] = {0x01, 0x00};  // 256: below the legal minimum, ignored
  small.options.add(57, tiny);
  EXPECT_EQ(encode(responder(s).decide(small, lab_arrival(), snap_).reply).size(), 300u);
}

TEST_F(ResponderTest, MachineWithoutImageGetsTheSubnetDefault) {
  // far01 has no image and far has no default: no file. ws01's subnet lab defaults to lab-bios.
  auto relayed = request("52:54:00:00:10:01");
  relayed.giaddr = *Ipv4::parse("198.18.10.1");
  EXPECT_TRUE(responder().decide(relayed, lab_arrival(), snap_).reply.file_text().empty());
  auto basename = request("52:54:00:12:34:56");
  basename.set_file("grubx64.efi");  // basename of another image's file: not generic, not in the store
  EXPECT_EQ(responder().decide(basename, lab_arrival(), snap_).drop, Drop::unknown_file);
}

TEST_F(ResponderTest, EachRungOverridesTheOneBelow) {
  // server default < subnet < image < machine, for the same option (18, extensions path).
  auto doc = bk::test::lab_document();
  doc["subnets"][0]["options"] = {{"18", "/from-subnet"}, {"42", "198.18.0.9"}};
  doc["images"][0]["options"] = {{"18", "/from-image"}};
  doc["machines"][1]["enabled"] = true;
  doc["machines"][1]["options"] = {{"18", "/from-machine"}};
  bk::db::Snapshot empty;
  Draft d(empty, "2026-12-04T00:00:00.000Z");
  ASSERT_TRUE(bk::db::import_document(d, doc).ok());
  const Snapshot snap = std::move(d).finish(1);
  Settings s;
  s.defaults[18] = {'/', 's'};
  s.defaults[42] = {198, 18, 0, 8};
  s.defaults[16] = {198, 18, 0, 7};
  auto big = request("52:54:00:12:34:56");
  const std::uint8_t max[] = {0x05, 0xDC};
  big.options.add(57, max);
  const auto ws01 = responder(s).decide(big, lab_arrival(), snap);  // image sets 18
  EXPECT_EQ(ws01.reply.options.text(18), "/from-image");
  EXPECT_EQ(ws01.reply.options.ip(42)->str(), "198.18.0.9");  // the subnet beats the server
  EXPECT_EQ(ws01.reply.options.ip(16)->str(), "198.18.0.7");  // only the server sets 16
  auto ws02 = request("52:54:00:12:34:57");
  ws02.options.add(57, max);
  EXPECT_EQ(responder(s).decide(ws02, lab_arrival(), snap).reply.options.text(18), "/from-machine");
}

TEST_F(ResponderTest, AMachineWithoutImageBootsTheSubnetDefault) {
  auto doc = bk::test::lab_document();
  doc["machines"][0].erase("image");
  bk::db::Snapshot empty;
  Draft d(empty, "2026-12-04T00:00:00.000Z");
  ASSERT_TRUE(bk::db::import_document(d, doc).ok());
  const Snapshot snap = std::move(d).finish(1);
  const auto r = responder().decide(request("52:54:00:12:34:56"), lab_arrival(), snap);
  EXPECT_EQ(r.reply.file_text(), "pxelinux.0");  // lab's default_image is lab-bios
  EXPECT_EQ(r.reply.options.u16(13), 83);
}

// Each drop reason is a counter and a log label: every one has a name of its own.
TEST(ResponderDrops, EveryReasonHasItsOwnName) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < static_cast<std::size_t>(bk::bootp::Drop::count_); ++i) {
    const auto name = bk::bootp::to_string(static_cast<bk::bootp::Drop>(i));
    EXPECT_FALSE(name.empty()) << i;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(bk::bootp::to_string(bk::bootp::Drop::wrong_segment), "wrong_segment");
  EXPECT_EQ(bk::bootp::to_string(bk::bootp::Drop::internal_error), "internal_error");
}

// ---- the DHCP form (RFC 2131/2132, RFC 4578 for PXE) ----

namespace {

Packet dhcp(const char* mac, bk::bootp::DhcpType type) {
  Packet p;
  p.xid = 0xD0D0;
  const auto m = Mac::parse(mac)->bytes();
  std::copy(m.begin(), m.end(), p.chaddr.begin());
  const std::uint8_t t[] = {static_cast<std::uint8_t>(type)};
  p.options.add(53, t);
  return p;
}

std::vector<int> codes_of(const Packet& r) {
  std::vector<int> codes;
  for (const auto& e : r.options.entries())
    codes.push_back(e.code);
  return codes;
}

using bk::bootp::DhcpType;

}  // namespace

TEST_F(ResponderTest, DhcpDiscoverGetsAnOfferWithServerAndLease) {
  const auto d = responder().decide(dhcp("52:54:00:12:34:56", DhcpType::discover), lab_arrival(), snap_);
  ASSERT_EQ(d.kind, Decision::Kind::reply);
  const Packet& r = d.reply;
  EXPECT_EQ(r.options.u8(53), 2);  // DHCPOFFER
  EXPECT_EQ(r.options.ip(54)->str(), "198.18.0.1");
  const auto lease = r.options.get(51);
  ASSERT_TRUE(lease);
  EXPECT_EQ(std::vector<std::uint8_t>(lease->begin(), lease->end()),
            (std::vector<std::uint8_t>{0, 1, 0x51, 0x80}));
  EXPECT_EQ(r.yiaddr.str(), "198.18.0.50");
  const auto codes = codes_of(r);
  ASSERT_GE(codes.size(), 3U);
  EXPECT_EQ((std::vector<int>(codes.begin(), codes.begin() + 3)), (std::vector<int>{53, 54, 51}));
}

TEST_F(ResponderTest, DhcpRequestForItsAddressIsAcked) {
  auto q = dhcp("52:54:00:12:34:56", DhcpType::request);
  const std::uint8_t asked[] = {198, 18, 0, 50};
  const std::uint8_t server[] = {198, 18, 0, 1};
  q.options.add(50, asked);
  q.options.add(54, server);
  const auto d = responder().decide(q, lab_arrival(), snap_);
  ASSERT_EQ(d.kind, Decision::Kind::reply);
  EXPECT_EQ(d.reply.options.u8(53), 5);  // DHCPACK
  EXPECT_EQ(d.reply.yiaddr.str(), "198.18.0.50");
}

TEST_F(ResponderTest, DhcpRequestForAnotherAddressIsNakedByBroadcast) {
  auto q = dhcp("52:54:00:12:34:56", DhcpType::request);
  q.ciaddr = *Ipv4::parse("198.18.0.77");  // renewing an address it should not have
  const auto d = responder().decide(q, lab_arrival(), snap_);
  ASSERT_EQ(d.kind, Decision::Kind::reply);
  EXPECT_EQ(d.reply.options.u8(53), 6);  // DHCPNAK
  EXPECT_TRUE(d.reply.yiaddr.is_zero());
  EXPECT_EQ(d.reply.options.ip(54)->str(), "198.18.0.1");
  EXPECT_NE(d.reply.options.text(56).find("198.18.0.77"), std::string_view::npos);
  EXPECT_EQ(d.route.kind, Route::Kind::broadcast);  // not to 198.18.0.77
}

TEST_F(ResponderTest, DhcpRequestForAnotherServersOfferIsLeftAlone) {
  auto q = dhcp("52:54:00:12:34:56", DhcpType::request);
  const std::uint8_t other[] = {198, 18, 0, 9};
  q.options.add(54, other);
  EXPECT_EQ(responder().decide(q, lab_arrival(), snap_).drop, Drop::other_server);
}

TEST_F(ResponderTest, DhcpReleaseAndDeclineGetNoReply) {
  for (const auto t : {DhcpType::release, DhcpType::decline}) {
    const auto d = responder().decide(dhcp("52:54:00:12:34:56", t), lab_arrival(), snap_);
    EXPECT_EQ(d.kind, Decision::Kind::drop);
    EXPECT_EQ(d.drop, Drop::dhcp_release);
  }
  EXPECT_EQ(responder().decide(dhcp("52:54:00:12:34:56", DhcpType::offer), lab_arrival(), snap_).drop,
            Drop::dhcp_unknown);
}

TEST_F(ResponderTest, DhcpInformGetsOptionsButNoAddressOrLease) {
  auto q = dhcp("52:54:00:12:34:56", DhcpType::inform);
  q.ciaddr = *Ipv4::parse("198.18.0.50");
  const auto d = responder().decide(q, lab_arrival(), snap_);
  ASSERT_EQ(d.kind, Decision::Kind::reply);
  EXPECT_EQ(d.reply.options.u8(53), 5);
  EXPECT_TRUE(d.reply.yiaddr.is_zero());
  EXPECT_FALSE(d.reply.options.get(51));
  EXPECT_EQ(d.reply.options.text(12), "ws01");
  EXPECT_EQ(d.route.kind, Route::Kind::client_ciaddr);
}

TEST_F(ResponderTest, DhcpParameterListOrdersTheOptions) {
  auto q = dhcp("52:54:00:12:34:56", DhcpType::discover);
  const std::uint8_t prl[] = {17, 12, 3, 1};
  q.options.add(55, prl);
  const auto codes = codes_of(responder().decide(q, lab_arrival(), snap_).reply);
  ASSERT_GE(codes.size(), 7U);
  EXPECT_EQ((std::vector<int>(codes.begin(), codes.begin() + 7)),
            (std::vector<int>{53, 54, 51, 17, 12, 3, 1}));
}

TEST_F(ResponderTest, PxeClientIsToldToSkipBootServerDiscovery) {
  auto q = dhcp("52:54:00:12:34:56", DhcpType::discover);
  q.options.add(60, std::span(reinterpret_cast<const std::uint8_t*>("PXEClient:Arch:00000:UNDI:002001"), 32));
  const auto d = responder().decide(q, lab_arrival(), snap_);
  EXPECT_EQ(d.reply.options.text(60), "PXEClient");
  const auto pxe = d.reply.options.get(43);
  ASSERT_TRUE(pxe);
  EXPECT_EQ(std::vector<std::uint8_t>(pxe->begin(), pxe->end()), (std::vector<std::uint8_t>{6, 1, 8, 255}));
  EXPECT_EQ(d.reply.file_text(), "pxelinux.0");
}

TEST_F(ResponderTest, BootpClientsGetNoLease) {
  const auto d = responder().decide(request("52:54:00:12:34:56"), lab_arrival(), snap_);
  EXPECT_FALSE(d.reply.options.get(51));
  EXPECT_FALSE(d.reply.options.get(53));
  EXPECT_FALSE(d.reply.options.get(54));
}

// iPXE, chainloaded, asks again: it gets the machine's iPXE script, not the chainloader.
TEST_F(ResponderTest, IpxeGetsTheMachinesScriptFromAnIpxeImage) {
  auto doc = bk::test::lab_document();
  doc["images"][0]["kind"] = "ipxe";
  doc["images"][0]["boot_file"] = "undionly.kpxe";
  const auto snap = bk::test::snapshot_of(doc);
  auto by_175 = dhcp("52:54:00:12:34:56", DhcpType::discover);
  const std::uint8_t encapsulated[] = {0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e};
  by_175.options.add(175, encapsulated);
  EXPECT_EQ(responder().decide(by_175, lab_arrival(), snap).reply.file_text(), "52-54-00-12-34-56.ipxe");

  auto by_77 = dhcp("52:54:00:12:34:56", DhcpType::discover);
  by_77.options.add(77, std::span(reinterpret_cast<const std::uint8_t*>("iPXE"), 4));
  EXPECT_EQ(responder().decide(by_77, lab_arrival(), snap).reply.file_text(), "52-54-00-12-34-56.ipxe");

  // The firmware's own PXE stack, before iPXE: the chainloader as usual.
  EXPECT_EQ(responder()
                .decide(dhcp("52:54:00:12:34:56", DhcpType::discover), lab_arrival(), snap)
                .reply.file_text(),
            "undionly.kpxe");
}

TEST_F(ResponderTest, IpxeInTheRomStillGetsPxelinuxForAPxelinuxImage) {
  // QEMU's and many NICs' boot ROMs are iPXE: a pxelinux image must still start pxelinux.
  auto q = dhcp("52:54:00:12:34:56", DhcpType::discover);
  q.options.add(77, std::span(reinterpret_cast<const std::uint8_t*>("iPXE"), 4));
  EXPECT_EQ(responder().decide(q, lab_arrival(), snap_).reply.file_text(), "pxelinux.0");
}

TEST_F(ResponderTest, IpxeWithoutAKernelToBootGetsTheImagesFile) {
  auto doc = bk::test::lab_document();
  doc["images"][0]["kernel"] = "";
  const auto snap = bk::test::snapshot_of(doc);
  auto q = dhcp("52:54:00:12:34:56", DhcpType::discover);
  q.options.add(77, std::span(reinterpret_cast<const std::uint8_t*>("iPXE"), 4));
  EXPECT_EQ(responder().decide(q, lab_arrival(), snap).reply.file_text(), "pxelinux.0");
}

namespace {
Packet with_arch(Packet p, std::uint16_t arch) {
  const std::uint8_t code[] = {static_cast<std::uint8_t>(arch >> 8), static_cast<std::uint8_t>(arch & 0xff)};
  p.options.add(93, code);
  return p;
}
}  // namespace

TEST_F(ResponderTest, ArchitectureChoosesTheBootFile) {
  auto doc = bk::test::lab_document();
  doc["images"][0]["boot_files"] = {{"efi-x64", "efi/grubnetx64.efi"}, {"efi-arm64", "efi/grubaa64.efi"}};
  const auto snap = bk::test::snapshot_of(doc);
  const auto file_for = [&](std::uint16_t arch) {
    const auto d = responder().decide(with_arch(dhcp("52:54:00:12:34:56", DhcpType::discover), arch),
                                      lab_arrival(), snap);
    return std::string(d.reply.file_text());
  };
  EXPECT_EQ(file_for(0), "pxelinux.0");  // BIOS: the plain boot_file of a pxelinux image
  EXPECT_EQ(file_for(7), "efi/grubnetx64.efi");
  EXPECT_EQ(file_for(9), "efi/grubnetx64.efi");  // EFI BC is x64 too
  EXPECT_EQ(file_for(11), "efi/grubaa64.efi");
  // No option 93 (BOOTP, or DHCP from a client that does not say): the plain boot_file.
  EXPECT_EQ(responder()
                .decide(dhcp("52:54:00:12:34:56", DhcpType::discover), lab_arrival(), snap)
                .reply.file_text(),
            "pxelinux.0");
}

TEST_F(ResponderTest, NoBootFileForTheArchitectureIsNoReplyAndSaysWhy) {
  const auto d =
      responder().decide(with_arch(dhcp("52:54:00:12:34:56", DhcpType::discover), 7), lab_arrival(), snap_);
  EXPECT_EQ(d.kind, Decision::Kind::drop);
  EXPECT_EQ(d.drop, Drop::no_boot_file_for_arch);
  EXPECT_EQ(d.note, "image lab-bios has no boot file for EFI x64");
  EXPECT_EQ(to_string(d.drop), "no_boot_file_for_arch");

  const auto odd =
      responder().decide(with_arch(dhcp("52:54:00:12:34:56", DhcpType::discover), 10), lab_arrival(), snap_);
  EXPECT_EQ(odd.drop, Drop::no_boot_file_for_arch);
  EXPECT_EQ(odd.note, "image lab-bios has no boot file for architecture 10");
}

TEST_F(ResponderTest, AnEfiImagesBootFileIsForEfiX64Only) {
  auto doc = bk::test::lab_document();
  doc["images"][0]["kind"] = "efi";
  doc["images"][0]["boot_file"] = "efi/bootx64.efi";
  const auto snap = bk::test::snapshot_of(doc);
  const auto efi =
      responder().decide(with_arch(dhcp("52:54:00:12:34:56", DhcpType::discover), 7), lab_arrival(), snap);
  EXPECT_EQ(efi.reply.file_text(), "efi/bootx64.efi");
  const auto bios =
      responder().decide(with_arch(dhcp("52:54:00:12:34:56", DhcpType::discover), 0), lab_arrival(), snap);
  EXPECT_EQ(bios.drop, Drop::no_boot_file_for_arch);
  EXPECT_EQ(bios.note, "image lab-bios has no boot file for BIOS x86");
}

TEST_F(ResponderTest, HttpBootGetsItsUrlAndHttpClient) {
  auto doc = bk::test::lab_document();
  doc["images"][0]["boot_files"] = {{"http-x64", "http://198.18.0.1/efi/bootx64.efi"}};
  const auto snap = bk::test::snapshot_of(doc);
  auto q = with_arch(dhcp("52:54:00:12:34:56", DhcpType::discover), 16);
  q.options.add(60, std::span(reinterpret_cast<const std::uint8_t*>("HTTPClient:Arch:00016"), 21));
  const auto d = responder().decide(q, lab_arrival(), snap);
  EXPECT_EQ(d.reply.file_text(), "http://198.18.0.1/efi/bootx64.efi");
  EXPECT_EQ(d.reply.options.text(60), "HTTPClient");
}
