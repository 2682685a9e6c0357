// --tftp-backend tftp-hpa: the generated files written beneath the root, and the supervisor that
// keeps in.tftpd running.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "lab.hpp"
#include "server/tftp_hpa.hpp"

using bk::server::Materializer;
using bk::server::Supervisor;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Materializer, WritesChangesAndRemovesOnlyItsOwnFiles) {
  bk::test::TempDir dir;
  const fs::path root = dir.path();
  std::ofstream(root / "boot.ipxe") << "#!ipxe\n# the administrator's own\n";

  auto doc = bk::test::lab_document();
  Materializer m(root);
  auto r = m.update(bk::test::snapshot_of(doc, 1));
  EXPECT_EQ(r.written, 4U);  // ws01's four names; ws02 is disabled
  ASSERT_EQ(r.kept, std::vector<std::string>{"boot.ipxe"});
  EXPECT_EQ(slurp(root / "boot.ipxe"), "#!ipxe\n# the administrator's own\n");
  const auto cfg = root / "pxelinux.cfg" / "01-52-54-00-12-34-56";
  EXPECT_NE(slurp(cfg).find("APPEND console=ttyS0"), std::string::npos);
  EXPECT_TRUE(fs::exists(root / "525400123456.ipxe"));

  // Same inventory: nothing rewritten.
  r = m.update(bk::test::snapshot_of(doc, 2));
  EXPECT_EQ(r.written, 0U);
  EXPECT_EQ(r.unchanged, 4U);

  // The image's command line changes: every file of ws01 follows.
  doc["images"][0]["cmdline"] = "console=ttyS0 quiet";
  r = m.update(bk::test::snapshot_of(doc, 3));
  EXPECT_EQ(r.written, 4U);
  EXPECT_NE(slurp(cfg).find("quiet"), std::string::npos);

  // A second Materializer (a restart) knows what the first wrote: ws01 removed, files gone.
  doc["machines"].erase(0);
  Materializer after_restart(root);
  r = after_restart.update(bk::test::snapshot_of(doc, 4));
  EXPECT_EQ(r.removed, 4U);
  EXPECT_FALSE(fs::exists(cfg));
  EXPECT_TRUE(fs::exists(root / "boot.ipxe"));  // never ours
  for (const auto& e : fs::recursive_directory_iterator(root))
    EXPECT_EQ(e.path().filename().string().find(".bk-tmp"), std::string::npos) << e.path();
}

TEST(Supervisor, RestartsWhatDiesAndStopsItOnExit) {
  Supervisor s({"sleep", "30"});
  for (int i = 0; i < 100 && s.pid() <= 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const pid_t first = s.pid();
  ASSERT_GT(first, 0);
  ::kill(first, SIGKILL);
  for (int i = 0; i < 300 && s.starts() < 2; ++i)  // restarted after 1 s
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(s.starts(), 2U);
  const pid_t second = s.pid();
  EXPECT_GT(second, 0);
  EXPECT_NE(second, first);
  s.stop();
  EXPECT_EQ(s.pid(), -1);
  EXPECT_NE(::kill(second, 0), 0);  // gone (reaped)
}
