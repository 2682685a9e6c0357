#pragma once
// A token bucket per MAC: `rate` answers a second with bursts of the same size, so that one
// flooding client cannot take the server's time from the others. Time is passed in, so the
// rule is tested without clocks.
#include <cstdint>
#include <unordered_map>

#include "db/mac.hpp"

namespace bk::bootp {

class RateLimiter {
 public:
  explicit RateLimiter(double rate) : rate_(rate) {}
  bool enabled() const { return rate_ > 0; }

  // True when `mac` may be answered at time `now` (seconds); takes a token.
  bool allow(db::Mac mac, double now) {
    if (!enabled()) return true;
    if (now - last_prune_ > 10) prune(now);
    auto [it, fresh] = buckets_.try_emplace(mac, Bucket{rate_, now});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min(rate_, b.tokens + (now - b.at) * rate_);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
  std::size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    double at;
  };
  // Buckets that have refilled completely carry no state worth keeping.
  void prune(double now) {
    last_prune_ = now;
    std::erase_if(buckets_, [&](const auto& kv) { return now - kv.second.at > 1.0 + 1.0 / rate_; });
  }

  double rate_;
  double last_prune_ = 0;
  std::unordered_map<db::Mac, Bucket> buckets_;
};

}  // namespace bk::bootp
