#include "server/event_bus.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

namespace bk::server {

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
    if (sightings_.size() >= capacity_) return;  // a flood of strangers: keep the first ones
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
  std::vector<db::Event> events;
  std::vector<db::Discovered> sightings;
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
    try {
      inventory_.append_events(events);
      written_ += events.size();
    } catch (const std::exception& e) {
      lost_ += events.size();
      spdlog::warn("{} events lost: {}", events.size(), e.what());
    }
    for (const auto& s : sightings) {
      try {
        inventory_.record_discovered(s);
      } catch (const std::exception& e) {
        spdlog::warn("sighting of {} not recorded: {}", s.mac.str(), e.what());
      }
    }
    for (const auto& e : events) {
      for (const auto& l : listeners)
        l(e);
    }
    events.clear();
    sightings.clear();
    lock.lock();
    done_ += batch;
    flushed_.notify_all();
    if (stop_ && events_.empty() && sightings_.empty()) return;
  }
}

}  // namespace bk::server
