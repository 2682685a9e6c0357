// The BOOTP codec: golden bytes, the vendor area with and without the cookie, hostile input.
#include <gtest/gtest.h>

#include "server/bootp/packet.hpp"

using namespace bk::bootp;

namespace {

// A request as bootpc sends it: broadcast flag, cookie, no options but End.
std::vector<std::uint8_t> golden_request() {
  std::vector<std::uint8_t> b(300, 0);
  b[0] = 1;  // BOOTREQUEST
  b[1] = 1;  // Ethernet
  b[2] = 6;
  b[4] = 0x12;
  b[5] = 0x34;
  b[6] = 0x56;
  b[7] = 0x78;  // xid
  b[8] = 0;
  b[9] = 3;      // secs
  b[10] = 0x80;  // broadcast flag
  const std::uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  std::copy(std::begin(mac), std::end(mac), b.begin() + 28);
  b[236] = 99;
  b[237] = 130;
  b[238] = 83;
  b[239] = 99;
  b[240] = 255;
  return b;
}

}  // namespace

TEST(BootpPacket, DecodesTheGoldenRequest) {
  const auto d = decode(golden_request());
  ASSERT_TRUE(d.packet);
  const Packet& p = *d.packet;
  EXPECT_EQ(p.op, kBootRequest);
  EXPECT_EQ(p.xid, 0x12345678u);
  EXPECT_EQ(p.secs, 3);
  EXPECT_TRUE(p.broadcast());
  EXPECT_EQ(p.mac().str(), "52:54:00:12:34:56");
  EXPECT_TRUE(p.cookie);
  EXPECT_TRUE(p.options.empty());
  EXPECT_FALSE(p.options_truncated);
}

TEST(BootpPacket, EncodesTheGoldenReply) {
  Packet p;
  p.op = kBootReply;
  p.xid = 0x12345678;
  p.flags = kBroadcastFlag;
  p.yiaddr = *Ipv4::parse("198.18.0.50");
  p.siaddr = *Ipv4::parse("198.18.0.1");
  p.chaddr = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  p.set_sname("bootkeeper");
  p.set_file("lab/pxelinux.0");
  const std::uint8_t mask[] = {255, 255, 255, 0};
  p.options.add(1, mask);
  const std::uint8_t host[] = {'w', 's', '0', '1'};
  p.options.add(12, host);
  const auto bytes = encode(p);
  ASSERT_EQ(bytes.size(), 300u);
  std::vector<std::uint8_t> want(300, 0);
  want[0] = 2;
  want[1] = 1;
  want[2] = 6;
  want[4] = 0x12;
  want[5] = 0x34;
  want[6] = 0x56;
  want[7] = 0x78;
  want[10] = 0x80;
  want[16] = 198;
  want[17] = 18;
  want[18] = 0;
  want[19] = 50;
  want[20] = 198;
  want[21] = 18;
  want[22] = 0;
  want[23] = 1;
  const std::uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  std::copy(std::begin(mac), std::end(mac), want.begin() + 28);
  const std::string sname = "bootkeeper", file = "lab/pxelinux.0";
  std::copy(sname.begin(), sname.end(), want.begin() + 44);
  std::copy(file.begin(), file.end(), want.begin() + 108);
  const std::uint8_t vend[] = {99, 130, 83, 99, 1, 4, 255, 255, 255, 0, 12, 4, 'w', 's', '0', '1', 255};
  std::copy(std::begin(vend), std::end(vend), want.begin() + 236);
  EXPECT_EQ(bytes, want);
  // And back.
  const auto again = decode(bytes);
  ASSERT_TRUE(again.packet);
  EXPECT_EQ(again.packet->file_text(), "lab/pxelinux.0");
  EXPECT_EQ(again.packet->options.text(12), "ws01");
  EXPECT_EQ(again.packet->options.ip(1)->str(), "255.255.255.0");
}

TEST(BootpPacket, PlainRfc951VendorAreaIsKeptAndEchoed) {
  auto b = golden_request();
  std::fill(b.begin() + 236, b.end(), 0xAB);  // vendor-specific, no cookie
  const auto d = decode(b);
  ASSERT_TRUE(d.packet);
  EXPECT_FALSE(d.packet->cookie);
  EXPECT_FALSE(d.packet->vendor_blank);
  EXPECT_EQ(d.packet->vend[0], 0xAB);
  Packet reply = *d.packet;
  reply.op = kBootReply;
  reply.vend.fill(0);
  const auto out = encode(reply);
  EXPECT_EQ(out.size(), 300u);
  EXPECT_EQ(out[236], 0);
}

TEST(BootpPacket, AbsentVendorAreaIsBlank) {
  auto b = golden_request();
  b.resize(kHeaderSize);  // as klibc ipconfig sends it
  const auto d = decode(b);
  ASSERT_TRUE(d.packet);
  EXPECT_FALSE(d.packet->cookie);
  EXPECT_TRUE(d.packet->vendor_blank);
}

TEST(BootpPacket, RepeatedOptionsConcatenate) {
  auto b = golden_request();
  const std::uint8_t opts[] = {17, 3, '/', 's', 'r', 0, 0, 17, 2, 'v', '/', 12, 1, 'x', 255};
  std::copy(std::begin(opts), std::end(opts), b.begin() + 240);
  const auto d = decode(b);
  ASSERT_TRUE(d.packet);
  EXPECT_EQ(d.packet->options.text(17), "/srv/");
  EXPECT_EQ(d.packet->options.text(12), "x");
}

TEST(BootpPacket, LongValuesAreSplitOnEncode) {
  Packet p;
  const std::vector<std::uint8_t> big(300, 'a');
  p.options.add(17, big);
  const auto bytes = encode(p);
  const auto d = decode(bytes);
  ASSERT_TRUE(d.packet);
  EXPECT_EQ(d.packet->options.get(17)->size(), 300u);
}

TEST(BootpPacket, TruncatedOptionKeepsTheHeaderAndEarlierOptions) {
  auto b = golden_request();
  b.resize(248);
  const std::uint8_t opts[] = {12, 2, 'a', 'b', 17, 200, '/'};  // 17 runs past the end
  std::copy(std::begin(opts), std::end(opts), b.begin() + 240);
  b.resize(247);
  const auto d = decode(b);
  ASSERT_TRUE(d.packet);
  EXPECT_TRUE(d.packet->options_truncated);
  EXPECT_EQ(d.packet->options.text(12), "ab");
  EXPECT_FALSE(d.packet->options.has(17));
}

TEST(BootpPacket, OverloadedFileAndSnameCarryOptions) {
  auto b = golden_request();
  const std::uint8_t opts[] = {52, 1, 3, 255};
  std::copy(std::begin(opts), std::end(opts), b.begin() + 240);
  const std::uint8_t in_file[] = {12, 3, 'f', 'o', 'o', 255};
  std::copy(std::begin(in_file), std::end(in_file), b.begin() + 108);
  const std::uint8_t in_sname[] = {60, 2, 'v', 'c', 255};
  std::copy(std::begin(in_sname), std::end(in_sname), b.begin() + 44);
  const auto d = decode(b);
  ASSERT_TRUE(d.packet);
  EXPECT_EQ(d.packet->options.text(12), "foo");
  EXPECT_EQ(d.packet->options.text(60), "vc");
  EXPECT_TRUE(d.packet->file_text().empty());
}

TEST(BootpPacket, HostileInputIsRefusedOrContained) {
  const std::vector<std::uint8_t> two = {1, 1};
  EXPECT_EQ(decode(two).error, DecodeError::too_short);
  auto header_only = golden_request();
  header_only.resize(235);
  EXPECT_EQ(decode(header_only).error, DecodeError::too_short);
  auto hlen = golden_request();
  hlen[2] = 17;
  EXPECT_EQ(decode(hlen).error, DecodeError::bad_hlen);
  auto zero_len = golden_request();
  zero_len[240] = 12;
  zero_len[241] = 0;
  zero_len[242] = 255;
  ASSERT_TRUE(decode(zero_len).packet);
  EXPECT_EQ(decode(zero_len).packet->options.get(12)->size(), 0u);
  auto len255 = golden_request();
  len255[240] = 43;
  len255[241] = 255;
  EXPECT_TRUE(decode(len255).packet->options_truncated);
  auto pads = golden_request();
  std::fill(pads.begin() + 240, pads.end(), 0);
  EXPECT_TRUE(decode(pads).packet->options.empty());
  std::vector<std::uint8_t> huge(65507, 0);
  std::copy_n(golden_request().begin(), 240, huge.begin());
  EXPECT_TRUE(decode(huge).packet);
  auto no_cookie_short = golden_request();
  no_cookie_short.resize(238);
  EXPECT_FALSE(decode(no_cookie_short).packet->cookie);
  EXPECT_TRUE(decode(no_cookie_short).packet->vendor_blank);
}
