#include "server/event_bus.hpp"

#include <map>

#include "db/draft.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <span>
#include <thread>

#include <spdlog/spdlog.h>

namespace bk::server {
namespace {

// Why events go unwritten, in the log: the reason at the first loss, then at most every 10 s the
// number lost meanwhile, and a line when writes succeed again. A warning per failed batch would
// flood the log of a disk that is already full; bootkeeper_events_lost_total has the counts.
class LossLog {
 public:
  // `n` events (or sightings) were lost; `reason` says what failed.
  void lost(std::uint64_t n, const std::string& reason) {
    since_warned_ += n;
    since_ok_ += n;
    const double now = db::monotonic_seconds();
    if (failing_ && now - warned_at_ < 10.0) return;
    if (!failing_) {
      spdlog::warn(
          "event log: {} ({} lost); further losses are logged every 10 s until none are lost, and "
          "counted in bootkeeper_events_lost_total",
          reason, since_warned_);
    } else {
      spdlog::warn("event log: {} lost in the last {:.0f} s: {}", since_warned_, now - warned_at_, reason);
    }
    failing_ = true;
    warned_at_ = now;
    since_warned_ = 0;
  }
  void written() {
    if (!failing_) return;
    spdlog::info("event log: written again; {} events lost in all meanwhile", since_ok_);
    failing_ = false;
    since_warned_ = since_ok_ = 0;
  }

 private:
  bool failing_ = false;
  double warned_at_ = 0;
  std::uint64_t since_warned_ = 0;
  std::uint64_t since_ok_ = 0;
};

}  // namespace

EventBus::EventBus(db::Inventory& inventory, std::size_t capacity)
    : inventory_(inventory), capacity_(capacity), worker_([this] { run(); }) {}

EventBus::~EventBus() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void EventBus::publish(db::Event e) {
  if (e.at.empty()) e.at = db::utc_now();
  {
    std::lock_guard lock(mu_);
    if (events_.size() >= capacity_) {
      ++lost_;
      ++overflowed_;
      return;
    }
    events_.push_back(std::move(e));
    ++enqueued_;
  }
  wake_.notify_one();
}

void EventBus::sighted(db::Discovered d) {
  if (d.last_seen.empty()) d.last_seen = db::utc_now();
  {
    std::lock_guard lock(mu_);
    if (sightings_.size() >= capacity_) {  // a flood of strangers: keep the first ones
      ++lost_;
      ++overflowed_;
      return;
    }
    sightings_.push_back(std::move(d));
    ++enqueued_;
  }
  wake_.notify_one();
}

void EventBus::subscribe(std::function<void(const db::Event&)> listener) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(listener));
}

void EventBus::flush() {
  std::unique_lock lock(mu_);
  const auto target = enqueued_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return done_ >= target || stop_; });
}

void EventBus::run() {
  // Packets first: under a flood this thread yields the CPU to the packet paths, and its queue
  // overflowing (counted as lost events) is the price, not replies that never go out.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
  std::vector<db::Event> events;
  std::vector<db::Discovered> sightings;
  std::map<db::Mac, std::string> seen;  // machines answered since last_seen was last written
  double seen_written_at = 0;
  LossLog loss_log;
  bool lost_any = false;  // in this batch: "written again" is said only of a batch without losses
  std::uint64_t overflows_logged = 0;
  // Another writer (another process's import, say, or a long write of this one) is waited out
  // in short tries with the inventory free in between, so that the API and pool bindings are not
  // held up behind this thread; after Inventory::kWriteWait in all the write fails (and is
  // counted as lost).
  const auto patiently = [](const auto& write) {
    const auto give_up = std::chrono::steady_clock::now() + db::Inventory::kWriteWait;
    for (;;) {
      try {
        write(std::chrono::milliseconds(100));
        return;
      } catch (const db::Inventory::Busy&) {
        if (std::chrono::steady_clock::now() >= give_up) {
          throw db::Inventory::Busy("the inventory stayed locked by another writer for " +
                                    std::to_string(db::Inventory::kWriteWait.count() / 1000) + " s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  };
  const auto write_seen = [&] {
    if (seen.empty()) return;
    try {
      patiently([&seen, this](std::chrono::milliseconds wait) {
        inventory_.write_within(wait, [&seen](db::Draft& d) {
          for (const auto& [mac, at] : seen)
            d.touch_machine(mac, at);
          return db::FieldErrors{};
        });
      });
    } catch (const std::exception& e) {
      lost_any = true;
      loss_log.lost(
          0, "last-seen times of " + std::to_string(seen.size()) + " machines not recorded: " + e.what());
    }
    seen.clear();
    seen_written_at = db::monotonic_seconds();
  };
  std::unique_lock lock(mu_);
  for (;;) {
    // Batch: wait a little after the first event so that a burst becomes one transaction.
    wake_.wait(lock, [&] { return stop_ || !events_.empty() || !sightings_.empty(); });
    if (!stop_) wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; });
    events.swap(events_);
    sightings.swap(sightings_);
    const auto batch = events.size() + sightings.size();
    const auto listeners = listeners_;
    lock.unlock();
    // In chunks: this thread runs at low priority, and a packet path that needs the inventory
    // (a pool binding) must not wait behind one transaction of tens of thousands of rows.
    constexpr std::size_t kChunk = 1000;
    for (std::size_t i = 0; i < events.size(); i += kChunk) {
      const auto chunk = std::span(events).subspan(i, std::min(kChunk, events.size() - i));
      try {
        patiently([&](std::chrono::milliseconds wait) { inventory_.append_events(chunk, wait); });
        written_ += chunk.size();
      } catch (const std::exception& e) {
        lost_ += chunk.size();
        lost_any = true;
        loss_log.lost(chunk.size(), std::string("events not written: ") + e.what());
      }
    }
    for (std::size_t i = 0; i < sightings.size(); i += kChunk) {
      const auto chunk = std::span(sightings).subspan(i, std::min(kChunk, sightings.size() - i));
      try {
        patiently([&](std::chrono::milliseconds wait) { inventory_.record_discovered(chunk, wait); });
      } catch (const std::exception& e) {
        lost_ += chunk.size();
        lost_any = true;
        loss_log.lost(chunk.size(), std::string("sightings of unknown MACs not recorded: ") + e.what());
      }
    }
    if (const auto overflowed = overflowed_.load(); overflowed != overflows_logged) {
      lost_any = true;
      loss_log.lost(overflowed - overflows_logged,
                    "the queue of " + std::to_string(capacity_) +
                        " events was full (the inventory takes them slower than they come)");
      overflows_logged = overflowed;
    }
    for (const auto& e : events) {
      for (const auto& l : listeners)
        l(e);
      if (e.mac && e.kind == "bootp.reply") seen[*e.mac] = e.at;
    }
    // machines.last_seen: at most once a second (each write publishes a new Snapshot), and
    // whatever is pending when the daemon stops.
    if (db::monotonic_seconds() - seen_written_at >= 1.0) write_seen();
    if (!lost_any) loss_log.written();
    lost_any = false;
    events.clear();
    sightings.clear();
    lock.lock();
    done_ += batch;
    flushed_.notify_all();
    if (stop_ && events_.empty() && sightings_.empty()) {
      lock.unlock();
      write_seen();
      return;
    }
  }
}

}  // namespace bk::server
