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

struct Image {
  Id id = 0;
  std::string name;
  ImageKind kind = ImageKind::pxelinux;
  std::string boot_file;  // relative to the image root
  std::string arch;       // "x86", "x86_64", "arm64"; informational
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
