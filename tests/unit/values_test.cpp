#include <gtest/gtest.h>

#include "db/ipv4.hpp"
#include "db/mac.hpp"
#include "db/model.hpp"
#include "db/names.hpp"

using bk::db::Cidr;
using bk::db::Ipv4;
using bk::db::Mac;

TEST(Mac, AcceptsEveryDocumentedFormInEitherCase) {
  for (const char* text : {"52:54:00:12:34:56", "52-54-00-12-34-56", "5254.0012.3456", "525400123456",
                           "52:54:00:12:34:56", "52:54:00:12:34:56", "5254.0012.3456"}) {
    const auto m = Mac::parse(text);
    ASSERT_TRUE(m) << text;
    EXPECT_EQ(m->str(), "52:54:00:12:34:56") << text;
  }
  for (const char* text : {"AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-ff", "AABB.CCDD.EEFF", "aabbccddeeff"}) {
    const auto m = Mac::parse(text);
    ASSERT_TRUE(m) << text;
    EXPECT_EQ(m->str(), "aa:bb:cc:dd:ee:ff") << text;
  }
}

TEST(Mac, RejectsEverythingElse) {
  for (const char* text :
       {"", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54-00:12:34:56", "52:54:00:12:34:5g",
        "5254.0012.345", "52540012345", "5254001234567", "52.54.00.12.34.56", " 52:54:00:12:34:56",
        "52:54:00:12:34:56 ", "52::54:00:12:34:56", "5254:0012:3456", "0x525400123456", "52:54:00:12:34:-6",
        "g2:54:00:12:34:56", "52545400.0012.3456"}) {
    EXPECT_FALSE(Mac::parse(text)) << text;
  }
}

TEST(Mac, BytesAndHexRoundTrip) {
  const auto m = *Mac::parse("02:00:5e:10:00:01");
  EXPECT_EQ(Mac::from_bytes(m.bytes()), m);
  EXPECT_EQ(m.hex(), "02005e100001");
  EXPECT_EQ(m.dashed(), "02-00-5e-10-00-01");
  EXPECT_EQ(m.bytes()[0], 0x02);
  EXPECT_EQ(m.bytes()[5], 0x01);
}

TEST(Ipv4, ParsesStrictDottedQuads) {
  EXPECT_EQ(Ipv4::parse("198.18.0.50")->value(), 0xC6120032u);
  EXPECT_EQ(Ipv4::parse("0.0.0.0")->value(), 0u);
  EXPECT_EQ(Ipv4::parse("255.255.255.255")->value(), 0xFFFFFFFFu);
  EXPECT_EQ(Ipv4::parse("198.18.0.50")->str(), "198.18.0.50");
  for (const char* text : {"", "198.18.0", "198.18.0.50.1", "198.18.0.256", "198.18.0.050", "198.18.0.-1",
                           "198.18..50", " 198.18.0.50", "198.18.0.50 ", "198.18.0.5a", "1234.1.1.1",
                           "0x1.1.1.1", "198.18.0.", ".198.18.0.50", "198,18,0,50"}) {
    EXPECT_FALSE(Ipv4::parse(text)) << text;
  }
}

TEST(Cidr, ParsesNetworksAndRefusesHostBits) {
  const auto c = Cidr::parse("198.18.0.0/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "198.18.0.0/24");
  EXPECT_EQ(c->mask().str(), "255.255.255.0");
  EXPECT_EQ(c->broadcast().str(), "198.18.0.255");
  EXPECT_TRUE(c->contains(*Ipv4::parse("198.18.0.77")));
  EXPECT_FALSE(c->contains(*Ipv4::parse("198.18.1.0")));
  EXPECT_TRUE(c->is_reserved(*Ipv4::parse("198.18.0.0")));
  EXPECT_TRUE(c->is_reserved(*Ipv4::parse("198.18.0.255")));
  EXPECT_FALSE(c->is_reserved(*Ipv4::parse("198.18.0.1")));
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0"));
  EXPECT_TRUE(Cidr::parse("198.18.0.7/32"));
  EXPECT_FALSE(Cidr::parse("198.18.0.7/32")->is_reserved(*Ipv4::parse("198.18.0.7")));
  for (const char* text : {"198.18.0.1/24", "198.18.0.0", "198.18.0.0/", "198.18.0.0/33", "198.18.0.0/024",
                           "198.18.0.0/-1", "198.18.0.0/2a", "/24", "198.18.0.0/24/1"}) {
    EXPECT_FALSE(Cidr::parse(text)) << text;
  }
}

TEST(Cidr, FromMaskAndOverlap) {
  const auto c = Cidr::from_mask(*Ipv4::parse("198.18.3.9"), *Ipv4::parse("255.255.252.0"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "198.18.0.0/22");
  EXPECT_FALSE(Cidr::from_mask(*Ipv4::parse("198.18.3.9"), *Ipv4::parse("255.0.255.0")));
  EXPECT_TRUE(c->overlaps(*Cidr::parse("198.18.2.0/24")));
  EXPECT_FALSE(c->overlaps(*Cidr::parse("198.18.4.0/24")));
}

TEST(Hostname, FollowsRfc1123) {
  for (const char* ok : {"ws01", "WS-01", "a", "1lab", "ws01.lab.test",
                         "a23456789012345678901234567890123456789012345678901234567890123"}) {
    EXPECT_TRUE(bk::db::is_valid_hostname(ok)) << ok;
  }
  for (const std::string& bad :
       {std::string(), std::string("-ws"), std::string("ws-"), std::string("ws_01"), std::string("ws 01"),
        std::string("ws..lab"), std::string(".ws"), std::string("ws."), std::string(64, 'a'),
        std::string("wś01"), std::string("ws01;rm -rf")}) {
    EXPECT_FALSE(bk::db::is_valid_hostname(bad)) << bad;
  }
}

TEST(RelativePath, StaysBeneathTheRoot) {
  for (const char* ok : {"pxelinux.0", "lab/bios/pxelinux.0", "efi/grubx64.efi", "a..b"}) {
    EXPECT_FALSE(bk::db::relative_path_problem(ok)) << ok;
  }
  for (const char* bad : {"", "/pxelinux.0", "../etc/passwd", "lab/../../x", "lab/./x", "lab//x", "lab/",
                          "lab\\x", "..", "a/..", "ev\x01il"}) {
    EXPECT_TRUE(bk::db::relative_path_problem(bad)) << bad;
  }
}

TEST(Text, Utf8AndExcerpts) {
  EXPECT_TRUE(bk::db::is_valid_utf8("salle \xc3\xa9tabli"));
  EXPECT_TRUE(bk::db::is_valid_utf8("tab\tok"));
  EXPECT_FALSE(bk::db::is_valid_utf8("salle \xe9tabli"));  // Latin-1
  EXPECT_FALSE(bk::db::is_valid_utf8("\xc0\xaf"));         // overlong '/'
  EXPECT_FALSE(bk::db::is_valid_utf8("\xed\xa0\x80"));     // a surrogate
  EXPECT_FALSE(bk::db::is_printable_text("tab\tno"));
  EXPECT_TRUE(bk::db::is_printable_text("r\xc3\xa9seau"));
  EXPECT_EQ(bk::db::excerpt("ab\xe9"
                            "c\n"),
            "\"ab?c?\"");
  EXPECT_EQ(bk::db::excerpt(std::string(50, 'x'), 4), "\"xxxx...\"");
}

TEST(Time, UtcNowIsIso8601WithMilliseconds) {
  const std::string t = bk::db::utc_now();
  ASSERT_EQ(t.size(), 24u) << t;
  EXPECT_TRUE(t.starts_with("20")) << t;
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t[19], '.');
  EXPECT_EQ(t[23], 'Z');
  // Lexical order is time order, which the events queries rely on.
  EXPECT_LE(t, bk::db::utc_now());
}
