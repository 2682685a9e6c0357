#include "db/model.hpp"

#include <array>
#include <chrono>

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
constexpr std::array<std::string_view, 5> kArchs{"bios", "efi-ia32", "efi-x64", "efi-arm64", "http-x64"};
constexpr std::array<std::string_view, 5> kArchLabels{"BIOS x86", "EFI ia32", "EFI x64", "ARM64 EFI",
                                                      "HTTP boot x64"};
constexpr std::array<std::string_view, 2> kOrigins{"registered", "pool"};
constexpr std::array<std::string_view, 3> kRoles{"viewer", "operator", "admin"};
}  // namespace

std::string_view to_string(ImageKind k) {
  return kKinds[static_cast<std::size_t>(k)];
}
std::optional<ImageKind> parse_image_kind(std::string_view s) {
  return parse_enum<ImageKind>(kKinds, s);
}
std::string_view to_string(ClientArch a) {
  return kArchs[static_cast<std::size_t>(a)];
}
std::string_view label(ClientArch a) {
  return kArchLabels[static_cast<std::size_t>(a)];
}
std::optional<ClientArch> parse_client_arch(std::string_view s) {
  return parse_enum<ClientArch>(kArchs, s);
}
std::optional<ClientArch> client_arch_of(std::uint16_t code) {
  switch (code) {
    case 0:
      return ClientArch::bios;
    case 6:
      return ClientArch::efi_ia32;
    case 7:
    case 9:
      return ClientArch::efi_x64;
    case 11:
      return ClientArch::efi_arm64;
    case 16:
      return ClientArch::http_x64;
    default:
      return std::nullopt;
  }
}

ClientArch default_arch(ImageKind k) {
  return k == ImageKind::efi ? ClientArch::efi_x64 : ClientArch::bios;
}

const std::string* boot_file_for(const Image& image, std::optional<ClientArch> arch) {
  if (!arch) return &image.boot_file;
  if (const auto it = image.boot_files.find(*arch); it != image.boot_files.end()) return &it->second;
  return *arch == default_arch(image.kind) ? &image.boot_file : nullptr;
}

const std::string* boot_file_for(const Image& image, std::optional<std::uint16_t> code) {
  if (!code) return boot_file_for(image, std::optional<ClientArch>{});
  const auto arch = client_arch_of(*code);
  return arch ? boot_file_for(image, arch) : nullptr;
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

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string utc_now() {
  // Written digit by digit: events take a timestamp each, and gmtime_r plus snprintf took a
  // lock and a format parse per event.
  using namespace std::chrono;
  const auto now = floor<milliseconds>(system_clock::now());
  const auto day = floor<days>(now);
  const year_month_day ymd(day);
  const hh_mm_ss hms(now - day);
  std::string out(24, '0');
  const auto put = [&out](std::size_t pos, unsigned value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
      out[pos + width - 1 - i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  out[4] = '-';
  put(5, static_cast<unsigned>(ymd.month()), 2);
  out[7] = '-';
  put(8, static_cast<unsigned>(ymd.day()), 2);
  out[10] = 'T';
  put(11, static_cast<unsigned>(hms.hours().count()), 2);
  out[13] = ':';
  put(14, static_cast<unsigned>(hms.minutes().count()), 2);
  out[16] = ':';
  put(17, static_cast<unsigned>(hms.seconds().count()), 2);
  out[19] = '.';
  put(20, static_cast<unsigned>(hms.subseconds().count()), 3);
  out[23] = 'Z';
  return out;
}

}  // namespace bk::db
