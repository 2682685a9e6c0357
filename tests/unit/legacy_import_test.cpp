#include "db/legacy_import.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#ifndef BK_TEST_DATA_DIR
#error "BK_TEST_DATA_DIR must be defined as the absolute path of tests/data"
#endif

namespace bk::db {
namespace {

using Json = nlohmann::ordered_json;

std::string read_data_file(const std::string& name) {
  const std::string path = std::string(BK_TEST_DATA_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string describe(const std::vector<LegacyProblem>& problems) {
  std::string out;
  for (const LegacyProblem& p : problems)
    out += std::to_string(p.line) + ": " + p.message + "\n";
  return out.empty() ? "(no problems)" : out;
}

// Compared as indented text: a failure shows both documents, and key order counts.
void expect_document(const LegacyResult& r, std::string_view expected) {
  EXPECT_EQ(r.document.dump(2), Json::parse(expected).dump(2));
}

// Exactly these problems, in this order: each a line and a fragment of its message.
void expect_problems(const LegacyResult& r, const std::vector<std::pair<int, std::string>>& expected) {
  ASSERT_EQ(r.problems.size(), expected.size()) << describe(r.problems);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.problems[i].line, expected[i].first) << describe(r.problems);
    EXPECT_NE(r.problems[i].message.find(expected[i].second), std::string::npos)
        << "problem " << i << " should mention \"" << expected[i].second << "\"\n"
        << describe(r.problems);
  }
}

const Json& machine(const LegacyResult& r, std::string_view hostname) {
  for (const Json& m : r.document["machines"]) {
    if (m["hostname"] == hostname) return m;
  }
  ADD_FAILURE() << "no machine " << hostname;
  static const Json none = Json::object();
  return none;
}

const Json& subnet(const LegacyResult& r, std::string_view name) {
  for (const Json& s : r.document["subnets"]) {
    if (s["name"] == name) return s;
  }
  ADD_FAILURE() << "no subnet " << name;
  static const Json none = Json::object();
  return none;
}

std::vector<std::string> macs(const LegacyResult& r) {
  std::vector<std::string> out;
  for (const Json& m : r.document["machines"])
    out.push_back(m["mac"].get<std::string>());
  return out;
}

// ------------------------------------------------------------------------------------------
// Both formats

TEST(LegacyImport, EmptyAndCommentOnlyInputsGiveEmptyDocuments) {
  for (const std::string_view text : {std::string_view(""), std::string_view("# nothing here\n\n   \n")}) {
    const LegacyResult b = convert_bootptab(text);
    expect_document(b, R"({"subnets": [], "images": [], "machines": []})");
    EXPECT_TRUE(b.problems.empty()) << describe(b.problems);
    const LegacyResult d = convert_dnsmasq(text);
    expect_document(d, R"({"subnets": [], "images": [], "machines": []})");
    EXPECT_TRUE(d.problems.empty()) << describe(d.problems);
  }
}

TEST(LegacyImport, LinesThatAreNotUtf8AreReportedAndTheRestIsImported) {
  // "caf\xe9" is Latin-1; "\xc3\xa9" is the same letter in UTF-8 and passes through.
  const LegacyResult b = convert_bootptab(
      "ws01:ha=525400000001:ip=198.18.0.10:\\\n"
      "\t:dn=caf\xe9.test:\\\n"
      "\t:T66=\"caf\xc3\xa9\":\n");
  expect_problems(b, {{2, "not UTF-8 text; line ignored"}});
  ASSERT_EQ(b.document["machines"].size(), 1U);
  EXPECT_EQ(b.document["machines"][0]["options"]["66"], "caf\xc3\xa9");
  EXPECT_NO_THROW((void)b.document.dump());

  const LegacyResult d = convert_dnsmasq(
      "dhcp-host=52:54:00:00:00:01,198.18.0.10,ws01\n"
      "dhcp-option=option:domain-name,caf\xe9.test\n");
  expect_problems(d, {{2, "not UTF-8 text; line ignored"}});
  EXPECT_NO_THROW((void)d.document.dump());
}

// ------------------------------------------------------------------------------------------
// bootptab

TEST(LegacyImportBootptab, TemplateAndHostGiveTheExactDocument) {
  const LegacyResult r = convert_bootptab(
      "# lab\n"
      ".lab:sm=255.255.255.0:gw=198.18.0.1:ds=198.18.0.1:dn=lab.test:sa=198.18.0.1:\\\n"
      "\t:bf=pxelinux.0:rp=/srv/root:\n"
      "ws01:tc=.lab:ha=525400123456:ip=198.18.0.50:T17=\"/srv/nfs/ws01\":\n");
  expect_document(r, R"({
    "subnets": [{"name": "net-198-18-0-0-24", "network": "198.18.0.0/24", "gateway": "198.18.0.1",
                 "dns": ["198.18.0.1"], "domain": "lab.test", "next_server": "198.18.0.1"}],
    "images": [{"name": "pxelinux.0", "kind": "pxelinux", "boot_file": "pxelinux.0",
                "root_path": "/srv/root"}],
    "machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01", "ip": "198.18.0.50",
                  "image": "pxelinux.0", "group": "lab", "enabled": true,
                  "options": {"17": "/srv/nfs/ws01"}}]})");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
}

TEST(LegacyImportBootptab, TagsAfterTcOverrideTheTemplateAndTagsBeforeItAreKept) {
  const LegacyResult r = convert_bootptab(
      ".t:sm=255.255.255.0:gw=198.18.0.1:bf=pxelinux.0:dn=lab.test:\n"
      "after:tc=.t:ha=525400000001:ip=198.18.0.10:bf=undionly.kpxe:dn=other.test:\n"
      "before:ha=525400000002:bf=ipxe.efi:tc=.t:ip=198.18.0.11:\n"
      "plain:tc=.t:ha=525400000003:ip=198.18.0.12:\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(machine(r, "after")["image"], "undionly.kpxe");
  EXPECT_EQ(machine(r, "before")["image"], "ipxe.efi");  // tc= only fills what is missing
  EXPECT_EQ(machine(r, "plain")["image"], "pxelinux.0");
  // The subnet's domain is the first host's; the host that differs keeps its own as option 15.
  EXPECT_EQ(subnet(r, "net-198-18-0-0-24")["domain"], "other.test");
  EXPECT_EQ(machine(r, "plain")["options"], Json::parse(R"({"15": "lab.test"})"));
  EXPECT_EQ(machine(r, "before")["options"], Json::parse(R"({"15": "lab.test"})"));
  EXPECT_FALSE(machine(r, "after").contains("options"));
}

TEST(LegacyImportBootptab, AtSignRemovesAnInheritedTagUnlessTcRefillsIt) {
  const LegacyResult r = convert_bootptab(
      ".t:sm=255.255.255.0:gw=198.18.0.1:bf=pxelinux.0:T17=\"/srv/a\":\n"
      "removed:tc=.t:gw@:bf@:T17@:ha=525400000001:ip=198.18.0.10:\n"
      "refilled:bf@:tc=.t:ha=525400000002:ip=198.18.0.11:\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  const Json& removed = machine(r, "removed");
  EXPECT_FALSE(removed.contains("image"));
  EXPECT_FALSE(removed.contains("options"));
  // bootptab(5): "After removal with @, a tag is eligible to be set again through the tc mechanism."
  const Json& refilled = machine(r, "refilled");
  EXPECT_EQ(refilled["image"], "pxelinux.0");
  EXPECT_EQ(refilled["options"], Json::parse(R"({"17": "/srv/a"})"));
  // The gateway comes from the first host that has one.
  EXPECT_EQ(subnet(r, "net-198-18-0-0-24")["gateway"], "198.18.0.1");
}

TEST(LegacyImportBootptab, ContinuationLinesSkipCommentsAndKeepLineNumbers) {
  const LegacyResult r = convert_bootptab(
      "# line 1\n"
      ".t:\\\n"
      "\t:sm=255.255.255.0:\\\n"
      "# a comment inside a continued entry (line 4)\n"
      "\n"
      "\t:gw=198.18.0.1:\n"
      "ws01:tc=.t:\\\n"
      "\t:ha=525400000001:\\\n"
      "\t:ip=198.18.0.10:\\\n"
      "\t:ds=198.18.0.2,\\\n"
      "\t 198.18.0.3:\n"
      "ws02:tc=.t:\\\n"
      "\t:ha=52540000000Z:\\\n"
      "\t:ip=198.18.0.11:\n");
  expect_problems(r, {{13, "host \"ws02\": \"52540000000Z\" is not an Ethernet address"}});
  ASSERT_EQ(r.document["machines"].size(), 1U);
  const Json& s = subnet(r, "net-198-18-0-0-24");
  EXPECT_EQ(s["gateway"], "198.18.0.1");
  EXPECT_EQ(s["dns"], Json::parse(R"(["198.18.0.2", "198.18.0.3"])"));
}

TEST(LegacyImportBootptab, HardwareAddressesInEveryWrittenFormAreNormalised) {
  const LegacyResult r = convert_bootptab(
      ".t:sm=255.255.255.0:\n"
      "a:tc=.t:ha=525400ABCDEF:ip=198.18.0.1:\n"
      "b:tc=.t:ha=0x525400abcd01:ip=198.18.0.2:\n"
      "c:tc=.t:ha=52.54.00.ab.cd.02:ip=198.18.0.3:\n"
      "d:tc=.t:ha=\"52:54:00:ab:cd:03\":ip=198.18.0.4:\n"
      "e:tc=.t:ha=52:54:00:ab:cd:04:ip=198.18.0.5:\n"
      "f:ht=ether:ha=0x52.0x54.0x00.0xab.0xcd.0x05:ip=198.18.0.6:sm=255.255.255.0:\n"
      "g:ht=1:ha=525400abcd06:ip=198.18.0.7:sm=255.255.255.0:\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(macs(r), (std::vector<std::string>{"52:54:00:ab:cd:ef", "52:54:00:ab:cd:01", "52:54:00:ab:cd:02",
                                               "52:54:00:ab:cd:03", "52:54:00:ab:cd:04", "52:54:00:ab:cd:05",
                                               "52:54:00:ab:cd:06"}));
}

TEST(LegacyImportBootptab, BadHardwareAddressIsReportedOnTheLineOfItsTag) {
  const LegacyResult r = convert_bootptab(
      ".t:sm=255.255.255.0:\n"
      "good:tc=.t:ha=525400000001:ip=198.18.0.10:\n"
      "short:tc=.t:ha=5254000001:ip=198.18.0.11:\n"
      "bad:tc=.t:\\\n"
      "\t:ip=198.18.0.12:\\\n"
      "\t:ha=52540000zz01:\n");
  expect_problems(r, {{3, "host \"short\": \"5254000001\" is not an Ethernet address"},
                      {6, "host \"bad\": \"52540000zz01\" is not an Ethernet address"}});
  EXPECT_EQ(macs(r), std::vector<std::string>{"52:54:00:00:00:01"});
}

TEST(LegacyImportBootptab, HostWithoutIpOrHardwareAddressIsReportedOnItsFirstLine) {
  const LegacyResult r = convert_bootptab(
      ".t:sm=255.255.255.0:ip=198.18.0.99:ha=525400000099:\n"
      "# ip and ha are never inherited through tc=\n"
      "noip:tc=.t:\\\n"
      "\t:ha=525400000001:\n"
      "noha:tc=.t:ip=198.18.0.10:\n"
      "badip:ha=525400000002:ip=198.18.0.256:\n");
  expect_problems(r, {{3, "host \"noip\" has no ip="},
                      {5, "host \"noha\" has no hardware address"},
                      {6, "host \"badip\": \"198.18.0.256\" is not an IPv4 address"}});
  EXPECT_TRUE(r.document["machines"].empty());
  EXPECT_TRUE(r.document["subnets"].empty());
}

TEST(LegacyImportBootptab, OnlyEthernetHardwareTypesAreAccepted) {
  const LegacyResult r = convert_bootptab(
      ".tr:ht=ieee802:sm=255.255.255.0:\n"
      "tok1:tc=.tr:ha=525400000001:ip=198.18.0.10:\n"
      "tok2:ht=6:ha=525400000002:ip=198.18.0.11:\n"
      "eth:ht=Ethernet:ha=525400000003:ip=198.18.0.12:\n"
      "eth2:tc=.tr:ht=ether:ha=525400000004:ip=198.18.0.13:\n");
  // The inherited type is reported where it is written, naming the host that uses it.
  expect_problems(r, {{1, "host \"tok1\": hardware type \"ieee802\" is not supported"},
                      {3, "host \"tok2\": hardware type \"6\" is not supported"}});
  EXPECT_EQ(macs(r), (std::vector<std::string>{"52:54:00:00:00:03", "52:54:00:00:00:04"}));
}

TEST(LegacyImportBootptab, GenericAndNumberedTagsBecomeMachineOptions) {
  const LegacyResult r = convert_bootptab(
      "h:ha=525400000001:ip=198.18.0.10:sm=255.255.255.0:\\\n"
      "\t:T37=0x12345927AD3BCF:T99=\"Special: ASCII string\":T44=c6.12.00.02:\\\n"
      "\t:to=-18000:ts=198.18.0.2,198.18.0.3:sw=198.18.0.4:yd=labnis:\\\n"
      "\t:bs=auto:vm=rfc1048:td=/tftpboot:hn:dl=3600:\n"
      "auto:ha=525400000002:ip=198.18.0.11:sm=255.255.255.0:to:\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(machine(r, "h")["options"], Json::parse(R"({
      "2": "-18000", "4": ["198.18.0.2", "198.18.0.3"], "16": "198.18.0.4",
      "37": "0x12345927ad3bcf", "40": "labnis", "44": "0xc6120002", "99": "Special: ASCII string"})"));
  EXPECT_FALSE(machine(r, "auto").contains("options"));  // ":to:" is the server's own time zone
}

TEST(LegacyImportBootptab, ImagesAreOnePerBootFileAndRootPathNamedAfterTheFile) {
  const LegacyResult r = convert_bootptab(
      ".t:sm=255.255.255.0:\n"
      "a:tc=.t:ha=525400000001:ip=198.18.0.10:hd=/x86:bf=pxelinux.0:\n"
      "b:tc=.t:ha=525400000002:ip=198.18.0.11:hd=/arm:bf=pxelinux.0:\n"
      "c:tc=.t:ha=525400000003:ip=198.18.0.12:hd=/x86/:bf=/pxelinux.0:\n"
      "d:tc=.t:ha=525400000004:ip=198.18.0.13:hd=/x86:bf=pxelinux.0:rp=/srv/d:\n"
      "e:tc=.t:ha=525400000005:ip=198.18.0.14:bf=lpxelinux.0:\n"
      "f:tc=.t:ha=525400000006:ip=198.18.0.15:hd=/:bf=menu.ipxe:\n"
      "g:tc=.t:ha=525400000007:ip=198.18.0.16:bf=undionly.kkpxe:\n"
      "h:tc=.t:ha=525400000008:ip=198.18.0.17:bf=EFI/BOOT/BOOTX64.EFI:\n"
      "i:tc=.t:ha=525400000009:ip=198.18.0.18:bf=vmunix:\n"
      "j:tc=.t:ha=52540000000a:ip=198.18.0.19:rp=/srv/j:\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(r.document["images"], Json::parse(R"([
      {"name": "pxelinux.0", "kind": "pxelinux", "boot_file": "x86/pxelinux.0"},
      {"name": "pxelinux.0-2", "kind": "pxelinux", "boot_file": "arm/pxelinux.0"},
      {"name": "pxelinux.0-3", "kind": "pxelinux", "boot_file": "x86/pxelinux.0", "root_path": "/srv/d"},
      {"name": "lpxelinux.0", "kind": "pxelinux", "boot_file": "lpxelinux.0"},
      {"name": "menu.ipxe", "kind": "ipxe", "boot_file": "menu.ipxe"},
      {"name": "undionly.kkpxe", "kind": "ipxe", "boot_file": "undionly.kkpxe"},
      {"name": "BOOTX64.EFI", "kind": "efi", "boot_file": "EFI/BOOT/BOOTX64.EFI"},
      {"name": "vmunix", "kind": "raw", "boot_file": "vmunix"}])"));
  EXPECT_EQ(machine(r, "c")["image"], "pxelinux.0");
  EXPECT_EQ(machine(r, "d")["image"], "pxelinux.0-3");
  EXPECT_FALSE(machine(r, "j").contains("image"));
  EXPECT_EQ(machine(r, "j")["options"], Json::parse(R"({"17": "/srv/j"})"));
}

TEST(LegacyImportBootptab, SubnetsComeFromAddressAndMaskWithFirstSeenValues) {
  const LegacyResult r = convert_bootptab(
      "a:ha=525400000001:ip=198.18.0.10:sm=255.255.255.0:gw=198.18.0.1:ds=198.18.0.2:dn=lab.test:sa=198.18.0."
      "2:\n"
      "b:ha=525400000002:ip=198.18.0.11:sm=255.255.255.0:gw=198.18.0.254 198.18.0.1:\\\n"
      "\t:ds=198.18.0.2:dn=other.test:\\\n"
      "\t:sa=198.18.0.3:\n"
      "nomask:ha=525400000004:ip=198.19.1.10:\n"
      "c:ha=525400000003:ip=198.19.0.10:sm=255.255.0.0:\n"
      "alone:ha=525400000005:ip=198.18.7.10:\n");
  expect_problems(
      r, {{4, "host \"b\": sa=198.18.0.3 differs from next_server 198.18.0.2 of net-198-18-0-0-24"}});
  EXPECT_EQ(r.document["subnets"], Json::parse(R"([
      {"name": "net-198-18-0-0-24", "network": "198.18.0.0/24", "gateway": "198.18.0.1",
       "dns": ["198.18.0.2"], "domain": "lab.test", "next_server": "198.18.0.2"},
      {"name": "net-198-19-0-0-16", "network": "198.19.0.0/16"},
      {"name": "net-198-18-7-0-24", "network": "198.18.7.0/24"}])"));
  EXPECT_FALSE(machine(r, "a").contains("options"));
  EXPECT_EQ(machine(r, "b")["options"],
            Json::parse(R"({"3": ["198.18.0.254", "198.18.0.1"], "15": "other.test"})"));
}

TEST(LegacyImportBootptab, UnknownTagsMissingTemplatesAndBadValuesAreReported) {
  const LegacyResult r = convert_bootptab(
      ".t:sm=255.255.255.0:xx=1:\n"
      "a:tc=.missing:ha=525400000001:ip=198.18.0.10:sm=255.255.255.0:\n"
      "b:tc=.t:ha=525400000002:ip=198.18.0.11:gw:\n"
      "c:tc=.t:ha=525400000003:ip=198.18.0.12:gw=router.lab.test:\n"
      ":ha=525400000004:ip=198.18.0.13:\n"
      "d:tc=.t:ha=525400000005:ip=198.18.0.14:T17=/srv/unquoted:T300=\"x\":\n"
      "e:tc=.t:ha=525400000006:ip=198.18.0.15:sm=255.0.255.0:\n");
  expect_problems(r, {{1, "unknown tag \"xx\""},
                      {2, "tc=.missing: no earlier entry has that name"},
                      {3, "\"gw\" needs a value"},
                      {4, "gw: \"router.lab.test\" is not an IPv4 address (host names are not looked up)"},
                      {5, "entry has no name"},
                      {6, "generic tag \"T300\": option code must be 1 to 254"},
                      {6, "T17: \"/srv/unquoted\" is neither \"quoted text\" nor hex bytes"},
                      {7, "sm: 255.0.255.0 is not a contiguous netmask"}});
  EXPECT_EQ(r.document["machines"].size(), 5U);  // every problem above spares the host
  EXPECT_FALSE(machine(r, "c").contains("options"));
}

TEST(LegacyImportBootptab, DuplicateHardwareAddressKeepsTheFirstEntry) {
  const LegacyResult r = convert_bootptab(
      "a:ha=525400000001:ip=198.18.0.10:\n"
      "b:ha=\"52:54:00:00:00:01\":ip=198.18.0.11:\n");
  expect_problems(r, {{2, "host \"b\": 52:54:00:00:00:01 is already the address of \"a\""}});
  ASSERT_EQ(r.document["machines"].size(), 1U);
  EXPECT_EQ(r.document["machines"][0]["hostname"], "a");
}

TEST(LegacyImportBootptab, HostNamesAreKeptAsWritten) {
  const LegacyResult r = convert_bootptab(
      "WS-01.Lab.Test:ha=525400000001:ip=198.18.0.10:\n"
      "\"quoted\":ha=525400000002:ip=198.18.0.11:\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(r.document["machines"][0]["hostname"], "WS-01.Lab.Test");
  EXPECT_EQ(r.document["machines"][1]["hostname"], "quoted");
}

TEST(LegacyImportBootptab, ExampleFileIsFullyUnderstood) {
  const LegacyResult r = convert_bootptab(read_data_file("bootptab.example"));
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(r.document["subnets"].size(), 3U);
  EXPECT_EQ(r.document["images"].size(), 5U);
  EXPECT_EQ(r.document["machines"].size(), 25U);

  EXPECT_EQ(subnet(r, "net-198-18-0-0-24"), Json::parse(R"(
      {"name": "net-198-18-0-0-24", "network": "198.18.0.0/24", "gateway": "198.18.0.1",
       "dns": ["198.18.0.2", "198.18.0.3"], "domain": "lab.test", "next_server": "198.18.0.2"})"));
  EXPECT_EQ(subnet(r, "net-198-19-4-0-23")["next_server"], "198.19.4.2");

  EXPECT_EQ(machine(r, "ws01"), Json::parse(R"(
      {"mac": "52:54:00:a0:01:01", "hostname": "ws01", "ip": "198.18.0.11", "image": "pxelinux.0",
       "group": "room-a", "enabled": true, "options": {"2": "3600", "42": ["198.18.0.2"]}})"));
  EXPECT_EQ(machine(r, "ws04")["mac"], "52:54:00:a0:01:04");
  EXPECT_EQ(machine(r, "ws06")["options"]["17"], "/srv/nfs/ws06-debug");
  EXPECT_EQ(machine(r, "ws07")["image"], "pxelinux.0-2");
  EXPECT_FALSE(machine(r, "ws10").contains("image"));
  EXPECT_EQ(machine(r, "tc08")["options"]["3"], Json::parse(R"(["198.18.1.254"])"));
  EXPECT_EQ(machine(r, "rb04")["ip"], "198.19.5.34");
  EXPECT_EQ(machine(r, "rb05")["image"], "shimx64.efi");
  EXPECT_EQ(machine(r, "rb01")["options"]["150"], "0xc6130402");
  EXPECT_FALSE(machine(r, "lblprinter").contains("group"));
  EXPECT_EQ(machine(r, "lblprinter")["options"], Json::parse(R"({"7": ["198.18.0.2"]})"));

  const Json& images = r.document["images"];
  EXPECT_EQ(images[0], Json::parse(R"({"name": "pxelinux.0", "kind": "pxelinux",
                                        "boot_file": "boot/pxe/pxelinux.0",
                                        "root_path": "/srv/nfs/room-a"})"));
  EXPECT_EQ(images[2]["kind"], "ipxe");
  EXPECT_EQ(images[3]["boot_file"], "efi/grubx64.efi");
}

// ------------------------------------------------------------------------------------------
// dnsmasq

TEST(LegacyImportDnsmasq, SmallConfigGivesTheExactDocument) {
  const LegacyResult r = convert_dnsmasq(
      "domain=lab.test\n"
      "dhcp-range=198.18.0.100,198.18.0.199,255.255.255.0,12h\n"
      "dhcp-option=option:router,198.18.0.1\n"
      "dhcp-option=6,198.18.0.1\n"
      "dhcp-option=option:root-path,/srv/root\n"
      "dhcp-boot=pxelinux.0,boothost,198.18.0.1\n"
      "dhcp-host=52:54:00:12:34:56,ws01,198.18.0.50\n");
  expect_document(r, R"({
    "subnets": [{"name": "net-198-18-0-0-24", "network": "198.18.0.0/24", "gateway": "198.18.0.1",
                 "dns": ["198.18.0.1"], "domain": "lab.test", "next_server": "198.18.0.1",
                 "pool": {"start": "198.18.0.100", "end": "198.18.0.199"},
                 "default_image": "pxelinux.0", "options": {"17": "/srv/root"}}],
    "images": [{"name": "pxelinux.0", "kind": "pxelinux", "boot_file": "pxelinux.0"}],
    "machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01", "ip": "198.18.0.50",
                  "enabled": true}]})");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
}

TEST(LegacyImportDnsmasq, HostElementsAreRecognisedInAnyOrder) {
  const LegacyResult r = convert_dnsmasq(
      "dhcp-range=198.18.0.100,198.18.0.199\n"
      "dhcp-host=ws01,198.18.0.11,52:54:00:00:00:01\n"
      "dhcp-host=198.18.0.12,infinite,set:lab,52:54:00:00:00:02,ws02\n"
      "dhcp-host=id:01:52:54:00:00:00:03,52:54:00:00:00:03,198.18.0.13\n"
      "dhcp-host=1-52:54:00:00:00:04,198.18.0.14,ws04.lab.test,45m,tag:red\n"
      "dhcp-host = 52:54:00:AB:CD:EF , 198.18.0.15 , ws05\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(r.document["machines"], Json::parse(R"([
      {"mac": "52:54:00:00:00:01", "hostname": "ws01", "ip": "198.18.0.11", "enabled": true},
      {"mac": "52:54:00:00:00:02", "hostname": "ws02", "ip": "198.18.0.12", "group": "lab", "enabled": true},
      {"mac": "52:54:00:00:00:03", "hostname": "host-525400000003", "ip": "198.18.0.13", "enabled": true},
      {"mac": "52:54:00:00:00:04", "hostname": "ws04.lab.test", "ip": "198.18.0.14", "enabled": true},
      {"mac": "52:54:00:ab:cd:ef", "hostname": "ws05", "ip": "198.18.0.15", "enabled": true}])"));
}

TEST(LegacyImportDnsmasq, WildcardAndMalformedMacsAreReportedOnTheirLines) {
  const LegacyResult r = convert_dnsmasq(
      "dhcp-range=198.18.0.100,198.18.0.199\n"
      "dhcp-host=52:54:00:00:00:01,198.18.0.11,ok\n"
      "dhcp-host=52:54:00:*:*:*,198.18.0.12,wild\n"
      "dhcp-host=52:54:00:00:00:zz,198.18.0.13,bad\n"
      "dhcp-host=06-52:54:00:00:00:05,198.18.0.15,tokenring\n"
      "dhcp-host=52:54:00:00:00:06,198.18.0.16,[fd00::16],dual\n");
  expect_problems(r, {{3, "wildcard MAC address 52:54:00:*:*:*"},
                      {4, "\"52:54:00:00:00:zz\" is not a MAC address"},
                      {5, "06-52:54:00:00:00:05 is not an Ethernet address"},
                      {6, "IPv6 address [fd00::16] ignored"}});
  EXPECT_EQ(macs(r), (std::vector<std::string>{"52:54:00:00:00:01", "52:54:00:00:00:06"}));
}

TEST(LegacyImportDnsmasq, HostsWithoutAddressOrMacAreProblemsAndIgnoredHostsAreNot) {
  const LegacyResult r = convert_dnsmasq(
      "dhcp-host=52:54:00:00:00:01,laptop\n"
      "dhcp-host=52:54:00:00:00:02,ignore\n"
      "dhcp-host=printer,198.18.0.20\n"
      "dhcp-host=id:01:02:03,198.18.0.21\n"
      "dhcp-host=52:54:00:00:00:05,198.18.0.300,typo\n");
  expect_problems(r, {{1, "no fixed address; Bootkeeper registers machines with addresses"},
                      {3, "no MAC address (dnsmasq matches this host by name"},
                      {4, "no MAC address (dnsmasq matches this host by client identifier"},
                      {5, "\"198.18.0.300\" is not an IPv4 address"},
                      {5, "no fixed address"}});
  EXPECT_TRUE(r.document["machines"].empty());
  EXPECT_TRUE(r.document["subnets"].empty());
}

TEST(LegacyImportDnsmasq, SeveralMacsKeepTheFirstAndRepeatedMacsKeepTheFirstLine) {
  const LegacyResult r = convert_dnsmasq(
      "dhcp-host=52:54:00:00:00:01,52:54:00:00:00:02,198.18.0.10,laptop\n"
      "dhcp-host=52:54:00:00:00:01,198.18.0.11,again\n");
  expect_problems(r, {{1, "several MAC addresses share one host; only the first (52:54:00:00:00:01)"},
                      {2, "dhcp-host 52:54:00:00:00:01 is already given on line 1"}});
  ASSERT_EQ(r.document["machines"].size(), 1U);
  EXPECT_EQ(r.document["machines"][0]["hostname"], "laptop");
}

TEST(LegacyImportDnsmasq, HostOutsideEveryRangeGetsItsOwnSubnetWithoutPool) {
  const LegacyResult r = convert_dnsmasq(
      "dhcp-range=198.18.0.100,198.18.0.199\n"
      "dhcp-host=52:54:00:00:00:01,198.18.0.10,in\n"
      "dhcp-host=52:54:00:00:00:02,198.19.7.10,out1\n"
      "dhcp-host=52:54:00:00:00:03,198.19.7.11,out2\n");
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(r.document["subnets"], Json::parse(R"([
      {"name": "net-198-18-0-0-24", "network": "198.18.0.0/24",
       "pool": {"start": "198.18.0.100", "end": "198.18.0.199"}},
      {"name": "net-198-19-7-0-24", "network": "198.19.7.0/24"}])"));
}

TEST(LegacyImportDnsmasq, RangeFormsAndUnsupportedModes) {
  const LegacyResult r = convert_dnsmasq(
      "dhcp-range=set:a,198.18.0.10,198.18.0.20,255.255.255.0,infinite\n"
      "dhcp-range=lab,198.18.2.10,198.18.3.20,12h\n"
      "dhcp-range=tag:eth1,198.18.4.0,static,255.255.254.0\n"
      "dhcp-range=198.18.6.0,proxy\n"
      "dhcp-range=::1,::400,constructor:eth0\n"
      "dhcp-range=198.18.0.30,198.18.0.40\n"
      "dhcp-range=198.18.9.50,198.18.9.10\n");
  expect_problems(r, {{4, "expected an end address or \"static\" after the start, found \"proxy\""},
                      {5, "IPv6 ranges are not supported"},
                      {6, "a second dhcp-range for 198.18.0.0/24 (the first is on line 1)"},
                      {7, "198.18.9.50 to 198.18.9.10 is not a range inside 198.18.9.0/24"}});
  // Without a netmask the network is the smallest of at most /24 holding the whole range.
  EXPECT_EQ(r.document["subnets"], Json::parse(R"([
      {"name": "net-198-18-0-0-24", "network": "198.18.0.0/24",
       "pool": {"start": "198.18.0.10", "end": "198.18.0.20"}},
      {"name": "net-198-18-2-0-23", "network": "198.18.2.0/23",
       "pool": {"start": "198.18.2.10", "end": "198.18.3.20"}},
      {"name": "net-198-18-4-0-23", "network": "198.18.4.0/23"}])"));
}

TEST(LegacyImportDnsmasq, OptionsApplyWhereTheirTagsPoint) {
  const LegacyResult r = convert_dnsmasq(
      "dhcp-range=set:red,198.18.0.100,198.18.0.199\n"
      "dhcp-range=set:blue,198.18.1.100,198.18.1.199\n"
      "dhcp-option=option:router,198.18.0.1\n"
      "dhcp-option=tag:blue,option:router,198.18.1.1\n"
      "dhcp-option=option:domain-name,lab.test\n"
      "dhcp-option=tag:blue,15,blue.lab.test\n"
      "dhcp-option=tag:!known,option:ntp-server,198.18.0.5\n"
      "dhcp-option=tag:gpu,option:root-path,/srv/gpu\n"
      "dhcp-host=52:54:00:00:00:01,198.18.1.10,render1,set:gpu\n"
      "dhcp-host=52:54:00:00:00:02,198.18.1.11,desk1\n"
      "dhcp-option=option:ntp-server,0.0.0.0\n"
      "dhcp-option=option:router,198.18.0.254\n"
      "dhcp-option=option:frobnicate,1\n"
      "dhcp-option=vendor:PXEClient,6,2b\n"
      "dhcp-option-force=tag:red,option:mtu,9000\n");
  expect_problems(r, {{11, "0.0.0.0 stands for the dnsmasq host itself"},
                      {12, "option 3 was already given on line 3"},
                      {13, "unknown option \"option:frobnicate\""},
                      {14, "vendor, encapsulated and IPv6 options are not supported"}});
  EXPECT_EQ(r.document["subnets"], Json::parse(R"([
      {"name": "net-198-18-0-0-24", "network": "198.18.0.0/24", "gateway": "198.18.0.1", "domain": "lab.test",
       "pool": {"start": "198.18.0.100", "end": "198.18.0.199"},
       "options": {"26": "9000", "42": ["198.18.0.5"]}},
      {"name": "net-198-18-1-0-24", "network": "198.18.1.0/24", "gateway": "198.18.1.1",
       "domain": "blue.lab.test", "pool": {"start": "198.18.1.100", "end": "198.18.1.199"},
       "options": {"42": ["198.18.0.5"]}}])"));
  EXPECT_EQ(machine(r, "render1")["options"], Json::parse(R"({"17": "/srv/gpu"})"));
  EXPECT_EQ(machine(r, "render1")["group"], "gpu");
  EXPECT_FALSE(machine(r, "desk1").contains("options"));
}

TEST(LegacyImportDnsmasq, BootFilesBecomeImagesForSubnetsAndTaggedMachines) {
  const LegacyResult r = convert_dnsmasq(
      "dhcp-range=set:lab,198.18.0.100,198.18.0.199\n"
      "dhcp-range=set:lab2,198.18.1.100,198.18.1.199\n"
      "dhcp-match=set:efi64,option:client-arch,7\n"
      "dhcp-boot=tag:efi64,ipxe.efi\n"
      "dhcp-boot=pxelinux.0,,198.18.0.2\n"
      "dhcp-boot=tag:lab2,undionly.kpxe,tftp2,198.18.1.2\n"
      "dhcp-boot=tag:special,/boot/menu.ipxe,,tftp.lab.test\n"
      "dhcp-host=52:54:00:00:00:01,198.18.0.10,special1,set:special\n"
      "dhcp-host=52:54:00:00:00:02,198.18.0.11,plain1\n");
  expect_problems(r, {{4, "ipxe.efi is imported as an image but is not a default; pxelinux.0 (line 5) is"},
                      {7, "TFTP server \"tftp.lab.test\" is not an IPv4 address"}});
  EXPECT_EQ(r.document["images"], Json::parse(R"([
      {"name": "ipxe.efi", "kind": "efi", "boot_file": "ipxe.efi"},
      {"name": "pxelinux.0", "kind": "pxelinux", "boot_file": "pxelinux.0"},
      {"name": "undionly.kpxe", "kind": "ipxe", "boot_file": "undionly.kpxe"},
      {"name": "menu.ipxe", "kind": "ipxe", "boot_file": "boot/menu.ipxe"}])"));
  EXPECT_EQ(subnet(r, "net-198-18-0-0-24")["default_image"], "pxelinux.0");
  EXPECT_EQ(subnet(r, "net-198-18-0-0-24")["next_server"], "198.18.0.2");
  EXPECT_EQ(subnet(r, "net-198-18-1-0-24")["default_image"], "undionly.kpxe");
  EXPECT_EQ(subnet(r, "net-198-18-1-0-24")["next_server"], "198.18.1.2");
  EXPECT_EQ(machine(r, "special1")["image"], "menu.ipxe");
  EXPECT_FALSE(machine(r, "plain1").contains("image"));
}

TEST(LegacyImportDnsmasq, CommentsCommandLineSpellingAndUnrelatedKeys) {
  const LegacyResult r = convert_dnsmasq(
      "# dnsmasq for the lab\n"
      "   # indented comment\n"
      "--port=0\n"
      "interface=eth0   # the lab side\n"
      "enable-tftp\n"
      "tftp-root=/srv/tftp\n"
      "dhcp-range=198.18.0.100,198.18.0.199   # visitors\n"
      "dhcp-option=option:root-path,\"198.18.0.2:/srv/nfs#1,vers=3\"\n"
      "dhcp-hostsfile=/etc/dnsmasq.hosts\n"
      "conf-dir=/etc/dnsmasq.d,.bak\n"
      "pxe-service=x86PC,\"Boot from network\",pxelinux\n"
      "log-queries\n"
      "\r\n");
  expect_problems(r, {{9, "dhcp-hostsfile: hosts kept in other files are not read"},
                      {10, "conf-dir: included files are not read"},
                      {11, "pxe-service: PXE boot menus are not supported"}});
  EXPECT_EQ(r.document["subnets"], Json::parse(R"([
      {"name": "net-198-18-0-0-24", "network": "198.18.0.0/24",
       "pool": {"start": "198.18.0.100", "end": "198.18.0.199"},
       "options": {"17": "198.18.0.2:/srv/nfs#1,vers=3"}}])"));
}

TEST(LegacyImportDnsmasq, ExampleFileIsFullyUnderstood) {
  const LegacyResult r = convert_dnsmasq(read_data_file("dnsmasq.conf.example"));
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(r.document["subnets"].size(), 4U);
  EXPECT_EQ(r.document["images"].size(), 3U);
  EXPECT_EQ(r.document["machines"].size(), 22U);

  EXPECT_EQ(subnet(r, "net-198-18-10-0-24"), Json::parse(R"(
      {"name": "net-198-18-10-0-24", "network": "198.18.10.0/24", "gateway": "198.18.10.1",
       "dns": ["198.18.10.2", "198.18.10.3"], "domain": "lab.test", "next_server": "198.18.10.2",
       "pool": {"start": "198.18.10.100", "end": "198.18.10.199"}, "default_image": "pxelinux.0",
       "options": {"17": "198.18.10.2:/srv/nfs/root,vers=3", "26": "1500", "42": ["198.18.10.2"]}})"));
  const Json& workshop = subnet(r, "net-198-18-11-0-24");
  EXPECT_EQ(workshop["gateway"], "198.18.11.1");
  EXPECT_EQ(workshop["domain"], "workshop.lab.test");
  EXPECT_EQ(workshop["default_image"], "undionly.kpxe");
  EXPECT_EQ(workshop["next_server"], "198.18.11.2");
  EXPECT_FALSE(subnet(r, "net-198-18-12-0-24").contains("pool"));
  EXPECT_FALSE(subnet(r, "net-198-18-13-0-24").contains("gateway"));

  EXPECT_EQ(machine(r, "pc04")["mac"], "52:54:00:10:00:04");
  EXPECT_EQ(machine(r, "pc07")["image"], "grubx64.efi");
  EXPECT_EQ(machine(r, "pc09")["group"], "row3");
  EXPECT_EQ(machine(r, "pc10")["mac"], "52:54:00:10:00:0a");
  EXPECT_FALSE(machine(r, "pc11").contains("image"));
  EXPECT_EQ(machine(r, "nas01")["options"], Json::parse(R"({"17": "198.18.12.10:/srv/nfs/servers"})"));
  EXPECT_EQ(machine(r, "kiosk")["ip"], "198.18.13.5");
  for (const Json& m : r.document["machines"])
    EXPECT_NE(m["mac"], "52:54:00:10:00:ee");  // ignore
}

}  // namespace
}  // namespace bk::db
