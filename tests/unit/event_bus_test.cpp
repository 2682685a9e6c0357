#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "db/document.hpp"
#include "lab.hpp"
#include "server/event_bus.hpp"

using namespace bk;

TEST(EventBus, WritesEverythingPublishedInChunks) {
  bk::test::TempDir dir;
  db::Inventory inv(dir.file("bk.db"));
  std::size_t heard = 0;
  {
    server::EventBus bus(inv);
    bus.subscribe([&heard](const db::Event&) { ++heard; });
    for (int i = 0; i < 2500; ++i) {
      db::Event e;
      e.kind = "test.event";
      e.mac = db::Mac::from_value(static_cast<std::uint64_t>(i % 10));
      bus.publish(e);
    }
    for (int i = 0; i < 1200; ++i) {
      db::Discovered d;
      d.mac = db::Mac::from_value(0x020000000000ull + static_cast<std::uint64_t>(i % 300));
      bus.sighted(d);
    }
    bus.flush();
    EXPECT_EQ(bus.written(), 2500u);
    EXPECT_EQ(bus.lost(), 0u);
  }
  EXPECT_EQ(heard, 2500u);
  EXPECT_EQ(inv.events({std::nullopt, "", 10'000}).size(), 2500u);
  const auto seen = inv.discovered();
  ASSERT_EQ(seen.size(), 300u);
  EXPECT_EQ(seen[0].count, 4);
}

TEST(EventBus, AFullQueueCountsWhatItLoses) {
  bk::test::TempDir dir;
  db::Inventory inv(dir.file("bk.db"));
  server::EventBus bus(inv, /*capacity=*/10);
  // The writer waits 100 ms to gather a batch: a thousand events at once overflow ten places.
  std::size_t published = 0;
  for (int i = 0; i < 1000; ++i) {
    bus.publish(db::Event{0, "", "test.flood", std::nullopt, std::nullopt, "{}"});
    ++published;
  }
  bus.flush();
  EXPECT_EQ(bus.written() + bus.lost(), published);
  EXPECT_GT(bus.lost(), 0u);
}

TEST(EventDetail, EscapesWhatClientsSend) {
  const std::string text =
      db::EventDetail().add("hostname", "ws\"01\\").add("vendor", std::string("PXE\x01\xff", 5)).str();
  const auto j = nlohmann::json::parse(text);  // valid JSON whatever the bytes were
  EXPECT_EQ(j["hostname"], "ws\"01\\");
  EXPECT_EQ(j["vendor"], "PXE\u0001\u00ff");
}

TEST(EventBus, RepliesRecordWhenAMachineWasLastSeen) {
  bk::test::TempDir dir;
  db::Inventory inv(dir.file("bk.db"));
  inv.write([](db::Draft& d) { return db::import_document(d, bk::test::lab_document()).errors(); });
  const auto ws01 = *db::Mac::parse("52:54:00:12:34:56");
  {
    server::EventBus bus(inv);
    bus.publish(db::Event{0, "2026-12-04T10:00:00.000Z", "bootp.request", ws01, std::nullopt, "{}"});
    bus.publish(db::Event{0, "2026-12-04T10:00:00.100Z", "bootp.reply", ws01, std::nullopt, "{}"});
  }  // stopping writes what is pending
  EXPECT_EQ(inv.snapshot()->machine_by_mac(ws01)->last_seen, "2026-12-04T10:00:00.100Z");
  EXPECT_EQ(inv.snapshot()->machine_by_mac(*db::Mac::parse("52:54:00:12:34:57"))->last_seen, "");
}
