#pragma once
// The detail object of an event, written without a JSON library on the packet paths. Values are
// escaped so that any bytes a client sent (host names, file names, vendor classes) stay data:
// quotes, backslashes, control characters and bytes over 0x7f become escapes.
#include <cstdint>
#include <string>
#include <string_view>

namespace bk::db {

class EventDetail {
 public:
  EventDetail& add(std::string_view key, std::string_view value);
  EventDetail& add(std::string_view key, std::uint64_t value);
  // A number with three decimals (seconds, rates).
  EventDetail& add(std::string_view key, double value);
  std::string str() const { return text_ + "}"; }

 private:
  void key(std::string_view k);
  std::string text_ = "{";
};

}  // namespace bk::db
