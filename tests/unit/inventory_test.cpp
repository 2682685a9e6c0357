// The SQLite inventory: schema, migrations, refusals, Snapshot publication, concurrency.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "db/document.hpp"
#include "db/inventory.hpp"
#include "db/schema.hpp"
#include "lab.hpp"

using namespace bk::db;

namespace {

void import_lab(Inventory& inv) {
  const auto errors =
      inv.write([](Draft& d) { return import_document(d, bk::test::lab_document()).errors(); });
  ASSERT_TRUE(errors.empty()) << errors.front().message();
}

std::string error_of(const std::string& path) {
  try {
    Inventory inv(path);
  } catch (const DbError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Inventory, CreatesAnEmptyFileAtTheCurrentVersion) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("bk.db"));
  EXPECT_EQ(inv.check().schema_version, schema::current_version());
  EXPECT_TRUE(inv.check().problems.empty());
  EXPECT_EQ(inv.snapshot()->machines().size(), 0u);
}

TEST(Inventory, MigratesFromEveryEarlierVersion) {
  for (int v = 0; v < schema::current_version(); ++v) {
    bk::test::TempDir dir;
    const auto path = dir.file("old.db");
    schema::migrate_file_to(path, v);
    Inventory inv(path);
    EXPECT_EQ(inv.check().schema_version, schema::current_version()) << "from " << v;
    import_lab(inv);
    EXPECT_EQ(inv.snapshot()->machines().size(), 2u);
  }
}

TEST(Inventory, AVersionOneImageKeepsItsBootFileAndHasNoneByArchitecture) {
  bk::test::TempDir dir;
  const auto path = dir.file("v1.db");
  schema::migrate_file_to(path, 1);
  const std::string insert =
      "sqlite3 " + path +
      " \"INSERT INTO images (name, kind, boot_file, created_at, updated_at) VALUES "
      "('old', 'pxelinux', 'old/pxelinux.0', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')\"";
  ASSERT_EQ(std::system(insert.c_str()), 0);
  Inventory inv(path);
  const Image* img = inv.snapshot()->image_by_name("old");
  ASSERT_NE(img, nullptr);
  EXPECT_EQ(img->boot_file, "old/pxelinux.0");
  EXPECT_TRUE(img->boot_files.empty());
  EXPECT_TRUE(inv.check().problems.empty());
}

TEST(Inventory, RefusesANewerSchema) {
  bk::test::TempDir dir;
  const auto path = dir.file("new.db");
  { Inventory inv(path); }
  {
    // Written by a later release.
    schema::migrate_file_to(path, schema::current_version());
    std::string cmd = "sqlite3 " + path + " 'PRAGMA user_version = 99'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  const auto msg = error_of(path);
  EXPECT_NE(msg.find("newer Bootkeeper"), std::string::npos) << msg;
  EXPECT_NE(msg.find("upgrade bootkeeperd"), std::string::npos) << msg;
}

TEST(Inventory, RefusesAFileThatIsNotSqlite) {
  bk::test::TempDir dir;
  const auto path = dir.file("notes.txt");
  std::ofstream(path) << "these are not the droids you are looking for, and this is no database at all\n";
  const auto msg = error_of(path);
  EXPECT_NE(msg.find("is not a SQLite database"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

TEST(Inventory, RefusesAnotherProgramsDatabase) {
  bk::test::TempDir dir;
  const auto path = dir.file("other.db");
  ASSERT_EQ(std::system(("sqlite3 " + path + " 'CREATE TABLE t(x)'").c_str()), 0);
  EXPECT_NE(error_of(path).find("another program"), std::string::npos);
}

TEST(Inventory, RefusesAMissingDirectoryWithTheFix) {
  bk::test::TempDir dir;
  const auto msg = error_of(dir.file("nope/bk.db"));
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mkdir -p"), std::string::npos) << msg;
}

// A read-only file is refused in tests/integration/cli_errors.sh, on a read-only mount
// (mode bits do not bind root, which runs the tests).

TEST(Inventory, WritesAreAllOrNothingAndPublishASnapshot) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("bk.db"));
  import_lab(inv);
  const auto before = inv.snapshot();
  const auto errors = inv.write([](Draft& d) {
    Machine m = *d.state().machine_by_mac(*Mac::parse("52:54:00:12:34:56"));
    m.hostname = "renamed";
    FieldErrors e = d.put_machine(m);
    Machine clash = *d.state().machine_by_mac(*Mac::parse("52:54:00:12:34:57"));
    clash.ip = m.ip;  // taken
    for (auto& x : d.put_machine(clash))
      e.push_back(x);
    return e;
  });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(inv.snapshot(), before);  // nothing published
  Inventory again(dir.file("bk.db"));
  EXPECT_EQ(again.snapshot()->machine_by_mac(*Mac::parse("52:54:00:12:34:56"))->hostname, "ws01");
}

TEST(Inventory, DryRunWritesNothing) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("bk.db"));
  const auto errors =
      inv.write([](Draft& d) { return import_document(d, bk::test::lab_document()).errors(); },
                /*dry_run=*/true);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(inv.snapshot()->machines().size(), 0u);
  EXPECT_EQ(Inventory(dir.file("bk.db")).snapshot()->machines().size(), 0u);
}

TEST(Inventory, StoredRowsReadBackEqual) {
  bk::test::TempDir dir;
  nlohmann::ordered_json exported;
  {
    Inventory inv(dir.file("bk.db"));
    import_lab(inv);
    exported = export_document(*inv.snapshot());
  }
  Inventory reopened(dir.file("bk.db"));
  EXPECT_EQ(export_document(*reopened.snapshot()).dump(), exported.dump());
  EXPECT_TRUE(reopened.check().problems.empty());
}

TEST(Inventory, SnapshotIsRebuiltAfterAnotherConnectionWrites) {
  bk::test::TempDir dir;
  Inventory daemon(dir.file("bk.db"));
  Inventory cli(dir.file("bk.db"));
  EXPECT_FALSE(daemon.refresh());
  import_lab(cli);
  EXPECT_EQ(daemon.snapshot()->machines().size(), 0u);
  EXPECT_TRUE(daemon.refresh());
  EXPECT_EQ(daemon.snapshot()->machines().size(), 2u);
  EXPECT_FALSE(daemon.refresh());
  // A write through the first connection starts from the other's rows, not its stale picture.
  const auto errors = daemon.write([](Draft& d) {
    Machine m;
    m.mac = *Mac::parse("52:54:00:00:00:99");
    m.hostname = "late";
    m.ip = *Ipv4::parse("198.18.0.99");
    return d.put_machine(m);
  });
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(cli.refresh());
  EXPECT_EQ(cli.snapshot()->machines().size(), 3u);
}

TEST(Inventory, OneWriterAndFourReadersNeverSeeBusy) {
  bk::test::TempDir dir;
  const auto path = dir.file("bk.db");
  {
    Inventory inv(path);
    import_lab(inv);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<long> reads{0};
  std::atomic<long> writes{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    try {
      Inventory inv(path);
      for (int i = 0; !stop; ++i) {
        const auto e = inv.write([i](Draft& d) {
          Machine m;
          m.mac = Mac::from_value(0x525400100000ull + static_cast<unsigned>(i));
          m.hostname = "w" + std::to_string(i);
          m.ip = Ipv4(Ipv4::parse("198.18.0.0")->value() + 2 + static_cast<unsigned>(i % 40));
          if (const Machine* old = d.state().machine_by_ip(m.ip)) {
            if (auto r = d.remove_machine(old->id); !r.empty()) return r;
          }
          return d.put_machine(m);
        });
        if (!e.empty()) ++failures;
        inv.append_events(std::vector<Event>{{0, "", "test.write",
                                              Mac::from_value(0x525400100000ull + static_cast<unsigned>(i)),
                                              std::nullopt, "{}"}});
        ++writes;
      }
    } catch (const std::exception& ex) {
      ADD_FAILURE() << "writer: " << ex.what();
      ++failures;
    }
  });
  for (int r = 0; r < 4; ++r) {
    threads.emplace_back([&] {
      try {
        Inventory inv(path);
        while (!stop) {
          inv.refresh();
          (void)inv.events({std::nullopt, "", 50});
          (void)inv.check();
          ++reads;
        }
      } catch (const std::exception& ex) {
        ADD_FAILURE() << "reader: " << ex.what();
        ++failures;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));
  stop = true;
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(writes, 10);
  EXPECT_GT(reads, 10);
  std::cout << "[          ] 5 s: " << writes << " writes, " << reads << " reads\n";
}

TEST(Inventory, EventsAndDiscovered) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("bk.db"));
  const auto mac = *Mac::parse("52:54:00:ab:cd:ef");
  inv.append_events(std::vector<Event>{
      {0, "2026-12-04T10:00:00.000Z", "bootp.request", mac, std::nullopt, "{}"},
      {0, "2026-12-04T10:00:01.000Z", "bootp.reply", mac, Ipv4::parse("198.18.0.5"), R"({"kind":"bootp"})"},
      {0, "2026-12-04T10:00:02.000Z", "tftp.start", std::nullopt, std::nullopt, "{}"}});
  EXPECT_EQ(inv.events({mac, "", 10}).size(), 2u);
  EXPECT_EQ(inv.events({std::nullopt, "2026-12-04T10:00:00.000Z", 10}).size(), 2u);
  EXPECT_EQ(inv.prune_events("2026-12-04T10:00:01.500Z"), 2u);
  Discovered d;
  d.mac = mac;
  d.vendor_class = "PXEClient:Arch:00000";
  d.hostname = "'; DROP TABLE machines; --";
  inv.record_discovered(std::vector<Discovered>{d, d});
  const auto list = inv.discovered();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].count, 2);
  EXPECT_EQ(list[0].hostname, d.hostname);  // stored as data
}

TEST(Inventory, TokensAreStoredHashedAndVerified) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("bk.db"));
  const auto token = inv.create_token("ci", Role::operator_);
  EXPECT_EQ(token.rfind("bk_", 0), 0u);
  EXPECT_GE(token.size(), 40u);
  const auto t = inv.verify_token(token);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->role, Role::operator_);
  EXPECT_FALSE(inv.verify_token(token + "x"));
  EXPECT_FALSE(inv.verify_token(""));
  EXPECT_THROW(inv.create_token("ci", Role::admin), RuleViolation);
  // The token itself is nowhere in the file.
  std::ifstream f(dir.file("bk.db"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), {});
  std::ifstream w(dir.file("bk.db-wal"), std::ios::binary);
  const std::string wal((std::istreambuf_iterator<char>(w)), {});
  EXPECT_EQ(bytes.find(token.substr(3)), std::string::npos);
  EXPECT_EQ(wal.find(token.substr(3)), std::string::npos);
}

TEST(Inventory, SwapsOfUniqueValuesReachTheDatabase) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("bk.db"));
  import_lab(inv);
  auto doc = bk::test::lab_document();
  doc["images"].push_back({{"name", "other"}, {"kind", "raw"}, {"boot_file", "x.bin"}});
  doc["subnets"].push_back({{"name", "b"}, {"network", "198.18.2.0/24"}});
  doc["subnets"].push_back({{"name", "c"}, {"network", "198.18.3.0/24"}});
  ASSERT_TRUE(inv.write([&](Draft& d) { return import_document(d, doc).errors(); }).empty());
  // Two image names swapped, two networks shifted, two machine addresses swapped: each legal as a
  // whole, each colliding if written row by row.
  const auto errors = inv.write([](Draft& d) {
    FieldErrors e;
    const auto add = [&](FieldErrors more) { e.insert(e.end(), more.begin(), more.end()); };
    Image a = *d.state().image_by_name("lab-bios");
    Image b = *d.state().image_by_name("other");
    a.name = "tmp";
    add(d.put_image(a));
    b.name = "lab-bios";
    add(d.put_image(b));
    a.name = "other";
    add(d.put_image(a));
    Subnet c = *d.state().subnet_by_name("c");
    Subnet sb = *d.state().subnet_by_name("b");
    c.network = *Cidr::parse("198.18.4.0/24");
    add(d.put_subnet(c));
    sb.network = *Cidr::parse("198.18.3.0/24");
    add(d.put_subnet(sb));
    Machine m1 = *d.state().machine_by_mac(*Mac::parse("52:54:00:12:34:56"));
    Machine m2 = *d.state().machine_by_mac(*Mac::parse("52:54:00:12:34:57"));
    m1.ip = *Ipv4::parse("198.18.0.90");
    add(d.put_machine(m1));
    m2.ip = *Ipv4::parse("198.18.0.50");
    add(d.put_machine(m2));
    m1.ip = *Ipv4::parse("198.18.0.51");
    add(d.put_machine(m1));
    return e;
  });
  ASSERT_TRUE(errors.empty()) << errors.front().message();
  Inventory again(dir.file("bk.db"));
  const auto snap = again.snapshot();
  EXPECT_EQ(snap->image_by_name("lab-bios")->boot_file, "x.bin");
  EXPECT_EQ(snap->subnet_by_name("b")->network.str(), "198.18.3.0/24");
  EXPECT_EQ(snap->machine_by_ip(*Ipv4::parse("198.18.0.50"))->hostname, "ws02");
  EXPECT_TRUE(again.check().problems.empty());
}

TEST(Inventory, ADeletedNameCanBeTakenInTheSameWrite) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("bk.db"));
  import_lab(inv);
  const auto errors = inv.write([](Draft& d) {
    FieldErrors e = d.remove_machine(d.state().machine_by_mac(*Mac::parse("52:54:00:12:34:57"))->id);
    Machine m;
    m.mac = *Mac::parse("52:54:00:12:34:57");
    m.hostname = "reborn";
    m.ip = *Ipv4::parse("198.18.0.51");
    for (auto& x : d.put_machine(m))
      e.push_back(x);
    return e;
  });
  ASSERT_TRUE(errors.empty()) << errors.front().message();
  EXPECT_EQ(
      Inventory(dir.file("bk.db")).snapshot()->machine_by_mac(*Mac::parse("52:54:00:12:34:57"))->hostname,
      "reborn");
}

namespace {

// Holds the write transaction of `inv` (an edit that waits) on a thread of its own until released.
class WriteHolder {
 public:
  explicit WriteHolder(Inventory& inv)
      : thread_([this, &inv] {
          inv.write([this](Draft&) {
            held_ = true;
            while (!release_)
              std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return FieldErrors{};
          });
        }) {
    while (!held_)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  WriteHolder(const WriteHolder&) = delete;
  WriteHolder& operator=(const WriteHolder&) = delete;
  ~WriteHolder() {
    release_ = true;
    thread_.join();
  }
  void release_in(std::chrono::milliseconds ms) {
    releaser_ = std::jthread([this, ms] {
      std::this_thread::sleep_for(ms);
      release_ = true;
    });
  }

 private:
  std::atomic<bool> held_{false};
  std::atomic<bool> release_{false};
  std::thread thread_;
  std::jthread releaser_;
};

FieldErrors add_machine(Draft& d, const char* mac, const char* ip) {
  Machine m;
  m.mac = *Mac::parse(mac);
  m.hostname = "m" + std::string(mac).substr(15);
  m.ip = *Ipv4::parse(ip);
  return d.put_machine(m);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// A packet path that writes (a pool binding) gives up after the time it allows, whether another
// process or another thread of its own holds the write lock, and writes nothing; plain writes
// still wait the full busy timeout afterwards.
TEST(Inventory, WriteWithinGivesUpWhenTheWriteLockIsHeld) {
  bk::test::TempDir dir;
  Inventory daemon(dir.file("bk.db"));
  import_lab(daemon);
  Inventory other_process(dir.file("bk.db"));
  const auto write_within = [&](const char* mac, const char* ip) {
    return daemon.write_within(std::chrono::milliseconds(150),
                               [&](Draft& d) { return add_machine(d, mac, ip); });
  };
  {
    WriteHolder held(other_process);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_THROW(write_within("52:54:00:00:00:a1", "198.18.0.61"), Inventory::Busy);
    EXPECT_GE(seconds_since(t0), 0.14);
    EXPECT_LT(seconds_since(t0), 1.0);
    // write() waits up to 10 s as before: the short wait did not stay on the connection.
    held.release_in(std::chrono::milliseconds(400));
    const auto t1 = std::chrono::steady_clock::now();
    EXPECT_TRUE(
        daemon.write([](Draft& d) { return add_machine(d, "52:54:00:00:00:a2", "198.18.0.62"); }).empty());
    EXPECT_GE(seconds_since(t1), 0.3);
  }
  {
    WriteHolder held(daemon);  // the event writer of the same process, say
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_THROW(write_within("52:54:00:00:00:a3", "198.18.0.63"), Inventory::Busy);
    EXPECT_LT(seconds_since(t0), 1.0);
  }
  EXPECT_TRUE(write_within("52:54:00:00:00:a4", "198.18.0.64").empty());
  EXPECT_TRUE(other_process.refresh());
  const auto snap = other_process.snapshot();
  EXPECT_EQ(snap->machine_by_mac(*Mac::parse("52:54:00:00:00:a1")), nullptr);
  EXPECT_NE(snap->machine_by_mac(*Mac::parse("52:54:00:00:00:a2")), nullptr);
  EXPECT_EQ(snap->machine_by_mac(*Mac::parse("52:54:00:00:00:a3")), nullptr);
  EXPECT_NE(snap->machine_by_mac(*Mac::parse("52:54:00:00:00:a4")), nullptr);
}
