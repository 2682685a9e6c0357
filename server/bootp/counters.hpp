#pragma once
#include <array>
#include <atomic>
#include <cstdint>

#include "server/bootp/responder.hpp"

namespace bk::bootp {

// What the BOOTP server did, for /metrics and the logs.
struct Counters {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> replied{0};
  std::atomic<std::uint64_t> replies_broadcast{0};
  std::atomic<std::uint64_t> replies_unicast{0};
  std::atomic<std::uint64_t> replies_relayed{0};
  std::atomic<std::uint64_t> pool_bindings{0};
  std::atomic<std::uint64_t> send_errors{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Drop::count_)> dropped{};

  void drop(Drop d) { dropped[static_cast<std::size_t>(d)].fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t dropped_for(Drop d) const { return dropped[static_cast<std::size_t>(d)].load(); }
};

}  // namespace bk::bootp
