#include "db/event_detail.hpp"

#include <array>
#include <charconv>

namespace bk::db {
namespace {

void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
}

}  // namespace

void EventDetail::key(std::string_view k) {
  if (text_.size() > 1) text_.push_back(',');
  text_.push_back('"');
  append_escaped(text_, k);
  text_ += "\":";
}

EventDetail& EventDetail::add(std::string_view k, std::string_view value) {
  key(k);
  text_.push_back('"');
  append_escaped(text_, value);
  text_.push_back('"');
  return *this;
}

EventDetail& EventDetail::add(std::string_view k, std::uint64_t value) {
  key(k);
  text_ += std::to_string(value);
  return *this;
}

EventDetail& EventDetail::add(std::string_view k, double value) {
  key(k);
  std::array<char, 32> buf{};
  const auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed, 3);
  text_.append(buf.data(), ec == std::errc{} ? end : buf.data());
  if (ec != std::errc{}) text_ += "0";
  return *this;
}

}  // namespace bk::db
