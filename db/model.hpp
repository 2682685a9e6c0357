#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/ipv4.hpp"
#include "db/mac.hpp"

namespace bk::db {

using Id = std::int64_t;
// Option code -> wire bytes, validated against the option table when written.
using Options = std::map<std::uint8_t, std::vector<std::uint8_t>>;

struct Pool {
  Ipv4 start;
  Ipv4 end;
  bool contains(Ipv4 a) const { return a >= start && a <= end; }
  friend bool operator==(const Pool&, const Pool&) = default;
};

struct Subnet {
  Id id = 0;
  std::string name;
  Cidr network;
  std::optional<Ipv4> gateway;
  std::vector<Ipv4> dns;
  std::string domain;
  std::optional<Ipv4> next_server;
  std::optional<Pool> pool;
  std::optional<Id> default_image_id;
  Options options;
  std::string created_at;
  std::string updated_at;
};

enum class ImageKind { pxelinux, ipxe, kernel, efi, raw };
std::string_view to_string(ImageKind k);
std::optional<ImageKind> parse_image_kind(std::string_view s);

// The client architectures an image can carry a boot file for (option 93, RFC 4578 and IANA's
// "Processor Architecture Types"). Names are the keys of an image's "boot_files".
enum class ClientArch { bios, efi_ia32, efi_x64, efi_arm64, http_x64 };
std::string_view to_string(ClientArch a);  // "bios", "efi-ia32", "efi-x64", "efi-arm64", "http-x64"
std::string_view label(ClientArch a);      // "BIOS x86", "EFI x64", ... for messages
std::optional<ClientArch> parse_client_arch(std::string_view s);
// Option 93's code: 0 BIOS, 6 EFI ia32, 7 and 9 EFI x64, 11 ARM64 EFI, 16 HTTP boot x64.
std::optional<ClientArch> client_arch_of(std::uint16_t code);

struct Image {
  Id id = 0;
  std::string name;
  ImageKind kind = ImageKind::pxelinux;
  std::string boot_file;                         // relative to the image root; see boot_file_for()
  std::map<ClientArch, std::string> boot_files;  // per architecture; http-x64 holds a URL
  std::string arch;                              // "x86", "x86_64", "arm64"; informational
  std::string kernel;
  std::string initrd;
  std::string cmdline;
  std::string root_path;
  std::optional<std::int64_t> size;
  std::string sha256;
  Options options;
  std::string created_at;
  std::string updated_at;
};

// The architecture an image's plain boot_file is built for: EFI x64 for kind efi, else BIOS.
ClientArch default_arch(ImageKind k);
// The one rule for which file a client gets from an image. A client that names no architecture
// (BOOTP, or DHCP without option 93) gets boot_file. A client that names one gets boot_files'
// entry for it, else boot_file when that architecture is the image's default_arch, else nothing:
// an EFI machine must never be handed a BIOS loader.
const std::string* boot_file_for(const Image& image, std::optional<ClientArch> arch);
// The same by option 93's code; a code no image can name gets nothing.
const std::string* boot_file_for(const Image& image, std::optional<std::uint16_t> code);

enum class Origin { registered, pool };
std::string_view to_string(Origin o);
std::optional<Origin> parse_origin(std::string_view s);

struct Machine {
  Id id = 0;
  Mac mac;
  std::string hostname;
  Ipv4 ip;
  Id subnet_id = 0;
  std::optional<Id> image_id;
  bool enabled = true;
  std::string group;
  Options options;
  Origin origin = Origin::registered;
  std::string last_seen;
  std::string created_at;
  std::string updated_at;
};

struct Discovered {
  Mac mac;
  std::string first_seen;
  std::string last_seen;
  std::int64_t count = 0;
  std::optional<Ipv4> relay;  // giaddr of the last request, when relayed
  std::string vendor_class;
  std::optional<int> client_arch;
  std::string hostname;  // what the client said it was called (option 12), as data
};

struct Event {
  std::int64_t id = 0;
  std::string at;    // ISO 8601 UTC with milliseconds
  std::string kind;  // "bootp.request", "bootp.reply", "tftp.start", ...
  std::optional<Mac> mac;
  std::optional<Ipv4> ip;
  std::string detail;  // JSON object text
};

enum class Role { viewer, operator_, admin };
std::string_view to_string(Role r);
std::optional<Role> parse_role(std::string_view s);

struct ApiToken {
  Id id = 0;
  std::string name;
  Role role = Role::viewer;
  std::string created_at;
  std::string last_used;
};

// UTC now as "2026-12-04T15:32:26.123Z".
std::string utc_now();
// Seconds on the steady clock, for rate limits, caches and timers.
double monotonic_seconds();

}  // namespace bk::db
