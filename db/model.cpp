#include "db/model.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace bk::db {
namespace {
template <typename E, std::size_t N>
std::optional<E> parse_enum(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}
constexpr std::array<std::string_view, 5> kKinds{"pxelinux", "ipxe", "kernel", "efi", "raw"};
constexpr std::array<std::string_view, 2> kOrigins{"registered", "pool"};
constexpr std::array<std::string_view, 3> kRoles{"viewer", "operator", "admin"};
}  // namespace

std::string_view to_string(ImageKind k) {
  return kKinds[static_cast<std::size_t>(k)];
}
std::optional<ImageKind> parse_image_kind(std::string_view s) {
  return parse_enum<ImageKind>(kKinds, s);
}
std::string_view to_string(Origin o) {
  return kOrigins[static_cast<std::size_t>(o)];
}
std::optional<Origin> parse_origin(std::string_view s) {
  return parse_enum<Origin>(kOrigins, s);
}
std::string_view to_string(Role r) {
  return kRoles[static_cast<std::size_t>(r)];
}
std::optional<Role> parse_role(std::string_view s) {
  return parse_enum<Role>(kRoles, s);
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 96> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms.count()));
  return buf.data();
}

}  // namespace bk::db
