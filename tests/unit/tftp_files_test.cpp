// What a TFTP client can be given: files beneath the image root (never anything outside it,
// whatever the name), shared open files, netascii, and the files generated from the inventory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "lab.hpp"
#include "tftpd/file_source.hpp"
#include "tftpd/generated.hpp"

using namespace bk::tftp;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string read_all(const Content& c) {
  std::string s(c.size, '\0');
  EXPECT_TRUE(c.read(0, std::span(reinterpret_cast<std::uint8_t*>(s.data()), s.size())));
  return s;
}

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() / "root";
    write(root_ / "ok.txt", "inside");
    write(root_ / "sub" / "file", "deeper");
    write(root_ / "etc" / "motd", "the root's own etc");
    write(tmp_.path() / "secret", "SECRET");
    fs::create_symlink("../secret", root_ / "escape");
    fs::create_symlink("/etc/passwd", root_ / "abs");
    fs::create_symlink("ok.txt", root_ / "inside");
    fs::create_symlink("..", root_ / "updir");
    fs::create_symlink("/proc/self/root", root_ / "magic");
    ::mkfifo((root_ / "fifo").c_str(), 0600);
    images_.emplace(root_.string());
    source_.emplace(*images_);
  }

  std::variant<Content, Refusal> open(std::string_view name, bool netascii = false) {
    return source_->open(name, netascii, snap_, std::nullopt);
  }

  bk::test::TempDir tmp_;
  fs::path root_;
  std::optional<ImageRoot> images_;
  std::optional<FileSource> source_;
  bk::db::Snapshot snap_;
};

}  // namespace

TEST_F(FilesTest, HostileNamesNeverLeaveTheRoot) {
  const std::string names[] = {
      "../secret",
      "..\\secret",
      "/../secret",
      "\\..\\secret",
      "sub/../../secret",
      "sub\\..\\..\\secret",
      "./../secret",
      "sub/./../../secret",
      "//../secret",
      "..",
      "../",
      "../../../../../../etc/passwd",
      "..\\..\\..\\..\\etc\\passwd",
      "escape",
      "abs",
      "updir/secret",
      "updir/root/ok.txt",
      "magic/etc/passwd",
      "%2e%2e/secret",
      "%2e%2e%2fsecret",
      "..%2fsecret",
      ".../secret",
      "....//secret",
      "",
      "/",
      "\\",
      ".",
      "./",
      "sub",
      "fifo",
      std::string("ok.txt\0/../secret", 17),
      "ok\x01.txt",
      "ok.txt\x7f",
      "ok\n.txt",
      std::string(10 * 1024, 'a'),
      std::string(5000, '/') + "../secret",
      "/proc/self/root/etc/passwd",
      "C:\\secret",
      "\\\\server\\share\\secret",
      "/etc/passwd",
      "ok.txt/",
  };
  int refused = 0;
  for (const auto& n : names) {
    const auto r = open(n);
    if (const auto* c = std::get_if<Content>(&r)) {
      // "ok.txt/" is ok.txt; nothing else may open, and nothing may ever be the secret.
      EXPECT_EQ(n, "ok.txt/") << "opened: " << n;
      EXPECT_NE(read_all(*c), "SECRET") << n;
    } else {
      ++refused;
    }
  }
  EXPECT_EQ(refused, static_cast<int>(std::size(names)) - 1);
  EXPECT_GE(std::size(names), 30U);
}

TEST_F(FilesTest, RefusalsSayWhyWithTheRightCode) {
  const auto code = [&](std::string_view n) { return std::get<Refusal>(open(n)).code; };
  EXPECT_EQ(code("missing.bin"), ErrorCode::file_not_found);
  EXPECT_EQ(code("sub/missing"), ErrorCode::file_not_found);
  EXPECT_EQ(code("../secret"), ErrorCode::access_violation);
  EXPECT_EQ(code("escape"), ErrorCode::access_violation);
  EXPECT_EQ(code(""), ErrorCode::access_violation);
  EXPECT_EQ(std::get<Refusal>(open("escape")).why, "path leads outside the image root");
  EXPECT_EQ(std::get<Refusal>(open("")).why, "empty file name");
  EXPECT_EQ(std::get<Refusal>(open("fifo")).why, "not a regular file");
}

TEST_F(FilesTest, NamesClientsReallySendAreServed) {
  for (const char* n : {"ok.txt", "/ok.txt", "\\ok.txt", "./ok.txt", "inside", "sub/file", "sub\\file",
                        "/sub//file", "\\etc\\motd", "/etc/motd"}) {
    const auto r = open(n);
    ASSERT_TRUE(std::holds_alternative<Content>(r)) << n << ": " << std::get<Refusal>(r).why;
    EXPECT_NE(read_all(std::get<Content>(r)), "SECRET");
  }
  EXPECT_EQ(read_all(std::get<Content>(open("/etc/motd"))), "the root's own etc");
}

TEST_F(FilesTest, OneOpenFileSharedByAllReadersUntilReplaced) {
  const auto a = std::get<Content>(open("sub/file"));
  const auto b = std::get<Content>(open("sub/file"));
  EXPECT_EQ(a.file.get(), b.file.get());
  EXPECT_EQ(source_->shared_files(), 1U);

  // An upload replaces the file by rename: new readers get the new bytes, running ones the old.
  write(root_ / "sub" / "file.new", "replaced!");
  fs::rename(root_ / "sub" / "file.new", root_ / "sub" / "file");
  const auto c = std::get<Content>(open("sub/file"));
  EXPECT_NE(c.file.get(), a.file.get());
  EXPECT_EQ(read_all(c), "replaced!");
  EXPECT_EQ(read_all(a), "deeper");
}

TEST_F(FilesTest, FileCutShortWhileReadIsAnErrorNotGarbage) {
  write(root_ / "big", std::string(4096, 'x'));
  const auto c = std::get<Content>(open("big"));
  ASSERT_EQ(::truncate((root_ / "big").c_str(), 100), 0);
  std::array<std::uint8_t, 512> buf{};
  EXPECT_TRUE(c.read(0, std::span(buf.data(), 100)));
  EXPECT_FALSE(c.read(512, buf));
  EXPECT_FALSE(c.read(4000, buf));  // past the size it had
}

TEST_F(FilesTest, NetasciiConvertsLineEnds) {
  EXPECT_EQ(to_netascii("a\nb\rc"), std::string("a\r\nb\r\0c", 7));
  write(root_ / "cfg", "x\ny\n");
  EXPECT_EQ(read_all(std::get<Content>(open("cfg", true))), "x\r\ny\r\n");
  // Converted in memory, but read from the disk: not a generated file (events and the preview).
  EXPECT_FALSE(std::get<Content>(open("cfg", true)).generated());
}

// ---- generated files ----

class GeneratedTest : public ::testing::Test {
 protected:
  bk::db::Snapshot snap_ = bk::test::snapshot_of(bk::test::lab_document());
  std::optional<Generated> gen(std::string_view path, const char* client = nullptr) const {
    std::optional<bk::db::Ipv4> c;
    if (client != nullptr) c = bk::db::Ipv4::parse(client);
    return generate(path, snap_, c);
  }
};

TEST_F(GeneratedTest, PxelinuxConfigByMacAndByHexAddress) {
  const auto by_mac = gen("pxelinux.cfg/01-52-54-00-12-34-56");
  ASSERT_TRUE(by_mac);
  EXPECT_NE(by_mac->text.find("KERNEL ::/vmlinuz\n"), std::string::npos) << by_mac->text;
  EXPECT_NE(by_mac->text.find("INITRD ::/initrd.gz\n"), std::string::npos);
  EXPECT_NE(by_mac->text.find("APPEND console=ttyS0\n"), std::string::npos);
  EXPECT_NE(by_mac->text.find("ws01"), std::string::npos);
  ASSERT_NE(by_mac->machine, nullptr);
  EXPECT_EQ(by_mac->machine->hostname, "ws01");

  const auto by_ip = gen("pxelinux.cfg/C6120032");  // 198.18.0.50
  ASSERT_TRUE(by_ip);
  EXPECT_EQ(by_ip->text, by_mac->text);
  EXPECT_TRUE(gen("pxelinux.cfg/c6120032"));
  EXPECT_TRUE(gen("pxelinux.cfg/01-52-54-00-12-34-56"));
  EXPECT_TRUE(gen("lab/pxelinux.cfg/01-52-54-00-12-34-56"));  // pxelinux.0 in a folder
  EXPECT_FALSE(gen("pxelinux.cfg/C612003"));                  // pxelinux's shorter tries
  EXPECT_FALSE(gen("pxelinux.cfg/default"));                  // read from disk
  EXPECT_FALSE(gen("pxelinux.cfg/01-52-54-00-99-99-99"));     // unknown machine
  EXPECT_FALSE(gen("pxelinux.cfg/01-52-54-00-12-34-57"));     // ws02 is disabled
}

TEST_F(GeneratedTest, IpxeScripts) {
  for (const char* name : {"525400123456.ipxe", "52-54-00-12-34-56.ipxe", "52:54:00:12:34:56.ipxe"}) {
    const auto s = gen(name);
    ASSERT_TRUE(s) << name;
    EXPECT_TRUE(s->text.starts_with("#!ipxe\n"));
    EXPECT_NE(s->text.find("kernel /vmlinuz initrd=initrd.gz console=ttyS0\n"), std::string::npos) << s->text;
    EXPECT_NE(s->text.find("initrd /initrd.gz\nboot\n"), std::string::npos);
  }
  const auto mine = gen("boot.ipxe", "198.18.0.50");
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->text, gen("525400123456.ipxe")->text);
  const auto stranger = gen("boot.ipxe", "198.18.0.99");
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->machine, nullptr);
  EXPECT_NE(stranger->text.find("chain ${mac:hexhyp}.ipxe"), std::string::npos);
  EXPECT_FALSE(gen("nothing.ipxe"));
}

TEST_F(GeneratedTest, FollowsTheInventory) {
  auto doc = bk::test::lab_document();
  doc["images"][0]["cmdline"] = "console=ttyS0 quiet";
  const auto changed = bk::test::snapshot_of(doc, 2);
  const auto before = gen("525400123456.ipxe");
  const auto after = generate("525400123456.ipxe", changed, std::nullopt);
  ASSERT_TRUE(before && after);
  EXPECT_NE(before->text, after->text);
  EXPECT_NE(after->text.find("quiet"), std::string::npos);

  doc["images"][0]["kernel"] = "";  // no kernel: nothing is generated, the disk decides
  EXPECT_FALSE(generate("525400123456.ipxe", bk::test::snapshot_of(doc, 3), std::nullopt));
}

TEST_F(GeneratedTest, EveryListedNameIsGenerated) {
  const auto* m = snap_.machine_by_mac(*bk::db::Mac::parse("52:54:00:12:34:56"));
  const auto names = generated_names(*m, snap_);
  ASSERT_EQ(names.size(), 4U);
  EXPECT_EQ(names[0], "pxelinux.cfg/01-52-54-00-12-34-56");
  EXPECT_EQ(names[1], "pxelinux.cfg/C6120032");
  for (const auto& n : names)
    EXPECT_TRUE(gen(n)) << n;
}

TEST_F(FilesTest, GeneratedFilesWinOverTheDiskForRegisteredMachines) {
  snap_ = bk::test::snapshot_of(bk::test::lab_document());
  write(root_ / "pxelinux.cfg" / "01-52-54-00-12-34-56", "stale copy");
  const auto c = std::get<Content>(open("pxelinux.cfg/01-52-54-00-12-34-56"));
  EXPECT_TRUE(c.generated());
  EXPECT_NE(read_all(c).find("KERNEL ::/vmlinuz"), std::string::npos);
  write(root_ / "pxelinux.cfg" / "default", "DEFAULT local");
  EXPECT_EQ(read_all(std::get<Content>(open("pxelinux.cfg/default"))), "DEFAULT local");
}
