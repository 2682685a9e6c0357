#pragma once
// "Did this MAC come by in the last `window` seconds?", answered in constant time and memory:
// a direct-mapped table of the latest MAC per slot. Two MACs that share a slot push each other
// out, so the answer errs towards "no" (one event too many), never towards hiding a new MAC
// for longer than the window. Used to log one reply event per machine a second in a boot storm.
#include <cstdint>
#include <vector>

#include "db/mac.hpp"

namespace bk::bootp {

class SeenRecently {
 public:
  explicit SeenRecently(double window_seconds, std::size_t slots = 1 << 16)
      : window_(window_seconds), slots_(slots) {}

  // True when `mac` was marked (with the same `kind`: a DHCP message type, say) less than the
  // window ago; marks it otherwise.
  bool check_and_mark(db::Mac mac, double now, std::uint8_t kind = 0) {
    Slot& s = slots_[(std::hash<db::Mac>{}(mac) + kind) % slots_.size()];
    if (s.used && s.mac == mac && s.kind == kind && now - s.at < window_) return true;
    s = {mac, now, kind, true};
    return false;
  }

 private:
  struct Slot {
    db::Mac mac;
    double at = 0;
    std::uint8_t kind = 0;
    bool used = false;
  };
  double window_;
  std::vector<Slot> slots_;
};

}  // namespace bk::bootp
