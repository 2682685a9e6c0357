// The TFTP wire codec: every field against the end of the packet, and option negotiation, with
// the peers' CVEs replayed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tftpd/codec.hpp"
#include "tftpd/transfer.hpp"

using namespace bk::tftp;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

std::vector<std::uint8_t> rrq(std::string_view body) {
  auto b = bytes(std::string("\0\1", 2));
  const auto rest = bytes(body);
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

std::string malformed(const std::vector<std::uint8_t>& packet) {
  const Decoded d = decode(packet);
  if (const auto* m = std::get_if<Malformed>(&d)) return m->why;
  return "";
}

template <typename T>
T as(const std::vector<std::uint8_t>& packet) {
  const Decoded d = decode(packet);
  EXPECT_TRUE(std::holds_alternative<Packet>(d)) << malformed(packet);
  return std::get<T>(std::get<Packet>(d));
}

std::optional<std::string> oack_value(const Agreed& a, const std::string& name) {
  for (const auto& o : a.oack)
    if (o.name == name) return o.value;
  return std::nullopt;
}

}  // namespace

TEST(TftpCodec, ReadRequestWithOptionsLowerCasesModeAndNames) {
  const auto q = as<Request>(rrq(std::string("lab/pxelinux.0\0OCTET\0BlkSize\0001468\0tsize\0000\0", 42)));
  EXPECT_EQ(q.op, Opcode::rrq);
  EXPECT_EQ(q.filename, "lab/pxelinux.0");
  EXPECT_EQ(q.mode, "octet");
  ASSERT_EQ(q.options.size(), 2U);
  EXPECT_EQ(q.options[0], (Option{"blksize", "1468"}));
  EXPECT_EQ(q.options[1], (Option{"tsize", "0"}));
}

TEST(TftpCodec, FieldsMustEndInsideThePacket) {
  EXPECT_EQ(malformed(rrq("pxelinux.0")), "file name not terminated");
  EXPECT_EQ(malformed(rrq(std::string("pxelinux.0\0octet", 16))), "mode not terminated");
  EXPECT_EQ(malformed(rrq(std::string("f\0octet\0blksize", 15))), "option name not terminated");
  EXPECT_EQ(malformed(rrq(std::string("f\0octet\0blksize\0001468", 20))), "option value not terminated");
  EXPECT_EQ(malformed({}), "packet shorter than an opcode");
  EXPECT_EQ(malformed({0}), "packet shorter than an opcode");
  EXPECT_EQ(malformed({0, 9}), "unknown opcode 9");
  EXPECT_EQ(malformed({0, 3, 0}), "DATA shorter than its header");
  EXPECT_EQ(malformed({0, 4}), "ACK shorter than its header");
}

TEST(TftpCodec, PaddingAfterTheLastOptionIsAccepted) {
  const auto q = as<Request>(rrq(std::string("f\0octet\0tsize\0000\0\0\0\0", 20)));
  EXPECT_EQ(q.options.size(), 1U);
  EXPECT_FALSE(malformed(rrq(std::string("f\0octet\0\0x\0", 11))).empty());
}

// atftpd CVE-2019-11365: a 2-byte ERROR packet made it read beyond the packet.
TEST(TftpCodec, TwoByteErrorPacketIsMalformedNotRead) {
  EXPECT_EQ(malformed({0, 5}), "ERROR shorter than its header");
  const auto e = as<Error>({0, 5, 0, 1});
  EXPECT_EQ(e.code, 1);
  EXPECT_EQ(e.message, "");
  const auto unterminated = as<Error>({0, 5, 0, 2, 'n', 'o'});
  EXPECT_EQ(unterminated.message, "no");
}

// dnsmasq CVE-2009-2958: an empty file name. The codec passes it on; FileSource refuses it.
TEST(TftpCodec, EmptyFileNameDecodes) {
  EXPECT_EQ(as<Request>(rrq(std::string("\0octet\0", 7))).filename, "");
}

TEST(TftpCodec, MoreThanSixteenOptionsIsMalformed) {
  std::string body("f\0octet\0", 8);
  for (int i = 0; i < 16; ++i)
    body += std::string("x") + std::to_string(i) + std::string("\0v\0", 3);
  EXPECT_EQ(as<Request>(rrq(body)).options.size(), 16U);
  body += std::string("blksize\0001468\0", 13);
  EXPECT_EQ(malformed(rrq(body)), "more than 16 options");
}

TEST(TftpCodec, EncodeAndDecodeAgree) {
  std::vector<std::uint8_t> out;
  encode_request(out, Request{Opcode::wrq, "a/b", "netascii", {{"windowsize", "16"}}});
  const auto q = as<Request>(out);
  EXPECT_EQ(q.op, Opcode::wrq);
  EXPECT_EQ(q.filename, "a/b");
  EXPECT_EQ(q.options.at(0), (Option{"windowsize", "16"}));

  out.clear();
  encode_oack(out, {{"blksize", "1468"}, {"tsize", "42"}});
  EXPECT_EQ(as<Oack>(out).options.size(), 2U);

  out.clear();
  encode_ack(out, 65535);
  EXPECT_EQ(as<Ack>(out).block, 65535);

  std::uint8_t h[4];
  encode_data_header(h, 0x1234);
  const std::vector<std::uint8_t> data{h[0], h[1], h[2], h[3], 'x', 'y'};
  const auto d = as<Data>(data);
  EXPECT_EQ(d.block, 0x1234);
  EXPECT_EQ(d.payload.size(), 2U);
}

TEST(TftpCodec, ErrorMessageIsCutAndHasNoInnerNul) {
  std::vector<std::uint8_t> out;
  encode_error(out, ErrorCode::access_violation, std::string("a\0b", 3) + std::string(500, 'x'));
  EXPECT_EQ(out.size(), 4U + 199U + 1U);  // 200 bytes minus the NUL dropped, plus the terminator
  const auto e = as<Error>(out);
  EXPECT_EQ(e.code, 2);
  EXPECT_TRUE(e.message.starts_with("abxx"));
}

// ---- negotiation (RFC 2347/2348/2349/7440) ----

TEST(TftpNegotiate, NoOptionsMeansNoOack) {
  const Agreed a = negotiate({}, 1000, Limits{});
  EXPECT_TRUE(a.oack.empty());
  EXPECT_EQ(a.blksize, 512);
  EXPECT_EQ(a.windowsize, 1);
}

TEST(TftpNegotiate, BlksizeTable) {
  struct Row {
    const char* asked;
    std::uint16_t limit;
    std::optional<std::string> answered;
  };
  const Row rows[] = {
      {"1468", 1468, "1468"},      {"512", 1468, "512"},      {"8", 1468, "8"},
      {"7", 1468, std::nullopt},   {"0", 1468, std::nullopt}, {"65464", 1468, "1468"},
      {"100000", 1468, "1468"},    {"70000", 65464, "65464"}, {"-1", 1468, std::nullopt},
      {"1e3", 1468, std::nullopt}, {"", 1468, std::nullopt},  {" 512", 1468, std::nullopt},
  };
  for (const auto& r : rows) {
    Limits l;
    l.max_blksize = r.limit;
    const Agreed a = negotiate({{"blksize", r.asked}}, 10, l);
    EXPECT_EQ(oack_value(a, "blksize"), r.answered) << r.asked;
    EXPECT_EQ(a.blksize, r.answered ? std::stoi(*r.answered) : 512) << r.asked;
  }
}

TEST(TftpNegotiate, TsizeCarriesTheRealSize) {
  EXPECT_EQ(oack_value(negotiate({{"tsize", "0"}}, 123456789012, Limits{}), "tsize"), "123456789012");
  EXPECT_EQ(oack_value(negotiate({{"tsize", "x"}}, 5, Limits{}), "tsize"), std::nullopt);
}

// tftp-hpa CVE-2011-2199: huge timeout/utimeout values overflowed a buffer.
TEST(TftpNegotiate, TimeoutOutsideOneTo255IsIgnored) {
  for (const char* v : {"0", "256", "4294967296", "99999999999999999999", "999999999999999999999999"}) {
    const Agreed a = negotiate({{"timeout", v}, {"utimeout", v}}, 5, Limits{});
    EXPECT_TRUE(a.oack.empty()) << v;
    EXPECT_EQ(a.timeout_s, 1U) << v;
  }
  const Agreed a = negotiate({{"timeout", "5"}}, 5, Limits{});
  EXPECT_EQ(oack_value(a, "timeout"), "5");
  EXPECT_EQ(a.timeout_s, 5U);
}

TEST(TftpNegotiate, WindowsizeTable) {
  const std::pair<const char*, std::optional<std::string>> rows[] = {
      {"1", "1"},      {"16", "16"},        {"64", "64"},           {"65", "64"},
      {"65535", "64"}, {"0", std::nullopt}, {"65536", std::nullopt}};
  for (const auto& [asked, answered] : rows) {
    EXPECT_EQ(oack_value(negotiate({{"windowsize", asked}}, 5, Limits{}), "windowsize"), answered) << asked;
  }
  Limits four;
  four.max_windowsize = 4;
  EXPECT_EQ(negotiate({{"windowsize", "16"}}, 5, four).windowsize, 4);
}

TEST(TftpNegotiate, UnknownOptionsIgnoredFirstOfRepeatsCounts) {
  const Agreed a =
      negotiate({{"multicast", ""}, {"blksize", "1024"}, {"blksize", "8"}, {"rollover", "0"}}, 5, Limits{});
  ASSERT_EQ(a.oack.size(), 1U);
  EXPECT_EQ(a.oack[0], (Option{"blksize", "1024"}));
}

// atftpd CVE-2021-41054: a request full of options overflowed the OACK buffer. The OACK holds
// only the four options we know, once each, whatever the request carried.
TEST(TftpNegotiate, OackStaysSmallWhateverTheRequestCarries) {
  std::vector<Option> many;
  for (int i = 0; i < 4; ++i) {
    many.push_back({"blksize", std::string(300, '9')});
    many.push_back({"tsize", "0"});
    many.push_back({"timeout", "1"});
    many.push_back({"windowsize", "64"});
  }
  const Agreed a = negotiate(many, ~std::uint64_t{0}, Limits{});
  EXPECT_EQ(a.oack.size(), 3U);  // blksize's 300 digits are not a number
  std::vector<std::uint8_t> out;
  encode_oack(out, a.oack);
  EXPECT_LT(out.size(), 80U);
}
