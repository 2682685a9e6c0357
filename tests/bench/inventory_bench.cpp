// Builds a Snapshot from 100,000 machines and looks up 1,000,000 random MACs.
// Prints: import time, Snapshot build time (from SQLite, as at start-up and after another process
// writes), and ns per lookup. Goals (issue 2): build < 1 s, lookup < 200 ns.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "db/inventory.hpp"

using namespace bk::db;
using Clock = std::chrono::steady_clock;

namespace {
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  const int machines = argc > 1 ? std::stoi(argv[1]) : 100'000;
  const int lookups = argc > 2 ? std::stoi(argv[2]) : 1'000'000;
  std::string tmpl = (std::filesystem::temp_directory_path() / "bk-bench-XXXXXX").string();
  const std::filesystem::path dir = ::mkdtemp(tmpl.data());
  const std::string path = (dir / "bench.db").string();

  auto t0 = Clock::now();
  {
    Inventory inv(path);
    const auto errors = inv.write([&](Draft& d) {
      Subnet s;
      s.name = "bench";
      s.network = *Cidr::parse("198.18.0.0/15");
      if (auto e = d.put_subnet(s); !e.empty()) return e;
      for (int i = 0; i < machines; ++i) {
        Machine m;
        m.mac = Mac::from_value(0x525400000000ull + static_cast<unsigned>(i));
        m.hostname = "ws" + std::to_string(i);
        m.ip = Ipv4(Ipv4::parse("198.18.0.1")->value() + static_cast<unsigned>(i));
        if (auto e = d.put_machine(m); !e.empty()) return e;
      }
      return FieldErrors{};
    });
    if (!errors.empty()) {
      std::fprintf(stderr, "setup failed: %s\n", errors.front().message().c_str());
      return 1;
    }
  }
  const double import_s = seconds_since(t0);

  t0 = Clock::now();
  Inventory inv(path);
  const double build_s = seconds_since(t0);
  const auto snap = inv.snapshot();

  std::mt19937_64 rng(42);
  std::vector<Mac> keys(static_cast<std::size_t>(lookups));
  // Nine in ten look-ups find a machine; the rest are strangers, as on a busy segment.
  for (auto& k : keys) {
    const bool hit = rng() % 10 != 0;
    k = Mac::from_value(hit ? 0x525400000000ull + rng() % static_cast<unsigned>(machines)
                            : 0x020000000000ull + rng() % 1'000'000);
  }
  std::size_t found = 0;
  t0 = Clock::now();
  for (const Mac k : keys)
    found += snap->machine_by_mac(k) != nullptr ? 1 : 0;
  const double lookup_s = seconds_since(t0);

  std::printf("inventory_bench: %d machines, %d lookups (%zu found)\n", machines, lookups, found);
  std::printf("  import (one transaction, rules checked): %.3f s\n", import_s);
  std::printf("  snapshot build from SQLite:              %.3f s   (goal < 1 s)\n", build_s);
  std::printf("  lookup by MAC:                           %.1f ns  (goal < 200 ns)\n",
              lookup_s * 1e9 / lookups);
  std::filesystem::remove_all(dir);
  return found > 0 ? 0 : 1;
}
