// The pure BOOTP core alone: decode a request, decide on a Snapshot of N machines, encode the
// reply, R times. Prints ns per request; run under `valgrind --tool=callgrind` for a repeatable
// instruction count (the figure does not depend on what else the machine is doing).
#include <chrono>
#include <cstdio>
#include <string>

#include "db/draft.hpp"
#include "server/bootp/responder.hpp"

using namespace bk;

int main(int argc, char** argv) {
  const int machines = argc > 1 ? std::stoi(argv[1]) : 100'000;
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 1'000'000;
  db::Snapshot empty;
  db::Draft draft(empty, db::utc_now());
  db::Image image;
  image.name = "bench";
  image.boot_file = "pxelinux.0";
  image.root_path = "/srv/root";
  draft.put_image(image);
  db::Subnet subnet;
  subnet.name = "lab";
  subnet.network = *db::Cidr::parse("198.18.0.0/15");
  subnet.gateway = db::Ipv4::parse("198.18.0.1");
  subnet.dns = {*db::Ipv4::parse("198.18.0.1")};
  subnet.default_image_id = image.id;
  draft.put_subnet(subnet);
  for (int i = 0; i < machines; ++i) {
    db::Machine m;
    m.mac = db::Mac::from_value(0x525400000000ull + static_cast<unsigned>(i));
    m.hostname = "ws" + std::to_string(i);
    m.ip = db::Ipv4(db::Ipv4::parse("198.18.1.0")->value() + static_cast<unsigned>(i));
    m.image_id = image.id;
    draft.put_machine(m);
  }
  const db::Snapshot snap = std::move(draft).finish(1);
  const bootp::Responder responder(bootp::Settings{}, bootp::BootFiles{[](std::string_view) {
                                     return std::optional<std::uint64_t>(42'000);
                                   }});
  bootp::Packet request;
  request.giaddr = *db::Ipv4::parse("198.18.0.2");
  request.hops = 1;
  auto wire = bootp::encode(request);
  const bootp::Arrival arrival{*db::Ipv4::parse("198.18.0.1"), 2, *db::Ipv4::parse("198.18.0.2")};
  std::vector<std::uint8_t> out;
  std::size_t replies = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r) {
    const std::uint64_t mac =
        0x525400000000ull + (static_cast<std::uint64_t>(r) * 7919u) % static_cast<std::uint64_t>(machines);
    for (int k = 0; k < 6; ++k)
      wire[28 + k] = static_cast<std::uint8_t>(mac >> (8 * (5 - k)));
    const auto decoded = bootp::decode(wire);
    const auto d = responder.decide(*decoded.packet, arrival, snap);
    if (d.kind == bootp::Decision::Kind::reply) {
      bootp::encode_into(d.reply, out);
      ++replies;
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "responder_bench: %d machines, %d requests, %zu replies: %.0f ns per request (decode + decide + "
      "encode)\n",
      machines, rounds, replies, s * 1e9 / rounds);
  return replies == static_cast<std::size_t>(rounds) ? 0 : 1;
}
