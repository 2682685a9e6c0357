#pragma once
// Where every service reports what happened. Publishing never blocks a packet path: events go
// into a bounded queue that a worker thread writes to the events table in batches (with the
// sightings of unknown MACs); when the queue is full or the database refuses (locked beyond the
// busy timeout, disk full), the event is counted as lost, the log says why (at most every 10 s),
// and the service goes on.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "db/event_detail.hpp"
#include "db/inventory.hpp"

namespace bk::server {

class EventBus {
 public:
  explicit EventBus(db::Inventory& inventory, std::size_t capacity = 65536);
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  void publish(db::Event e);
  void sighted(db::Discovered d);
  // Listeners see every published event on the worker thread (the SSE stream hooks in here).
  void subscribe(std::function<void(const db::Event&)> listener);
  // Writes what is queued now and waits for it.
  void flush();

  std::uint64_t written() const { return written_; }
  std::uint64_t lost() const { return lost_; }

 private:
  void run();

  db::Inventory& inventory_;
  const std::size_t capacity_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::vector<db::Event> events_;
  std::vector<db::Discovered> sightings_;
  std::vector<std::function<void(const db::Event&)>> listeners_;
  std::uint64_t enqueued_ = 0;
  std::uint64_t done_ = 0;
  bool stop_ = false;
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> lost_{0};
  std::atomic<std::uint64_t> overflowed_{0};  // the part of lost_ that never reached the queue
  std::thread worker_;
};

}  // namespace bk::server
