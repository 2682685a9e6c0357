#include "server/api/preview.hpp"

#include <array>
#include <variant>

#include "db/bytes.hpp"
#include "db/option_table.hpp"
#include "tftpd/generated.hpp"

namespace bk::api {
namespace {

using json = nlohmann::ordered_json;

// The server's address on the machine's subnet, as the reply would carry it: the subnet's next
// server or gateway when inside it, else its first host address.
db::Ipv4 server_address(const db::Subnet* s) {
  if (s == nullptr) return db::Ipv4{};
  if (s->next_server && s->network.contains(*s->next_server)) return *s->next_server;
  if (s->gateway && s->network.contains(*s->gateway)) return *s->gateway;
  return db::Ipv4(s->network.network().value() + 1);
}

struct Client {
  const char* name;                   // "bootp", "bios", "efi-x64", ...
  std::optional<std::uint16_t> arch;  // option 93; none for plain BOOTP
};
constexpr std::array<Client, 6> kClients{{{"bootp", std::nullopt},
                                          {"bios", 0},
                                          {"efi-ia32", 6},
                                          {"efi-x64", 7},
                                          {"efi-arm64", 11},
                                          {"http-x64", 16}}};

// The request such a client sends: plain BOOTP (RFC 951 with the RFC 1048 cookie), or the DHCP
// DISCOVER of PXE firmware (RFC 4578) or UEFI HTTP boot.
bootp::Packet request_of(const db::Machine& m, const Client& c) {
  bootp::Packet p;
  p.xid = 0x424b5056;  // "BKPV"
  const auto mac = m.mac.bytes();
  std::copy(mac.begin(), mac.end(), p.chaddr.begin());
  if (!c.arch) return p;
  const std::uint8_t discover[] = {1};
  p.options.add(53, discover);
  const std::uint8_t max_size[] = {0x05, 0xc0};  // 1472
  p.options.add(57, max_size);
  const std::uint8_t arch[] = {static_cast<std::uint8_t>(*c.arch >> 8),
                               static_cast<std::uint8_t>(*c.arch & 0xff)};
  p.options.add(93, arch);
  const std::string vendor = (*c.arch == 16 ? "HTTPClient:Arch:" : "PXEClient:Arch:") +
                             std::string(5 - std::to_string(*c.arch).size(), '0') + std::to_string(*c.arch) +
                             (*c.arch == 16 ? "" : ":UNDI:003016");
  p.options.add(60, std::span(reinterpret_cast<const std::uint8_t*>(vendor.data()), vendor.size()));
  const std::uint8_t wanted[] = {1,  2,  3,  4,   5,   6,   12,  13,  15,  17,  18, 22,
                                 23, 28, 40, 41,  42,  43,  50,  51,  54,  58,  59, 60,
                                 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135};
  p.options.add(55, wanted);
  return p;
}

json files_of(const db::Machine& m, const db::Snapshot& snap, std::optional<db::ClientArch> arch,
              tftp::FileSource& files) {
  json out = json::array();
  for (const auto& step : tftp::boot_sequence(m, snap, arch)) {
    json f{{"path", step.path}, {"what", step.what}};
    const auto opened = files.open(step.path, false, snap, m.ip);
    if (const auto* c = std::get_if<tftp::Content>(&opened)) {
      f["size"] = c->size;
      f["source"] = c->generated() ? "generated" : "image root";
      if (c->generated()) f["content"] = *c->bytes;
    } else {
      f["size"] = nullptr;
      f["source"] = "missing";
      f["error"] = std::get<tftp::Refusal>(opened).why;
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

json describe_reply(const bootp::Packet& r) {
  json j{{"op", r.op},
         {"xid", r.xid},
         {"flags", r.flags},
         {"ciaddr", r.ciaddr.str()},
         {"yiaddr", r.yiaddr.str()},
         {"siaddr", r.siaddr.str()},
         {"giaddr", r.giaddr.str()},
         {"sname", std::string(r.sname_text())},
         {"file", std::string(r.file_text())}};
  json options = json::array();
  for (const auto& e : r.options.entries()) {
    const auto value = r.options.value(e);
    const db::OptionDef* def = db::find_option(e.code);
    options.push_back({{"code", e.code},
                       {"name", def != nullptr ? json(def->name) : json(nullptr)},
                       {"value", db::decode_option_value(e.code, value)},
                       {"hex", db::to_hex(value)}});
  }
  j["options"] = std::move(options);
  const auto wire = bootp::encode(r);
  j["size"] = wire.size();
  j["hex"] = db::to_hex(wire);
  return j;
}

json preview(const db::Machine& m, const db::Snapshot& snap, const bootp::Responder& responder,
             tftp::FileSource& files) {
  const db::Subnet* subnet = snap.subnet(m.subnet_id);
  const bootp::Arrival arrival{server_address(subnet), 1, db::Ipv4{}};
  json out{{"mac", m.mac.str()}, {"hostname", m.hostname}, {"ip", m.ip.str()}};
  out["server_address"] = arrival.local_address.str();
  json clients = json::object();
  for (const auto& c : kClients) {
    const auto decision = responder.decide(request_of(m, c), arrival, snap);
    json v;
    if (decision.kind == bootp::Decision::Kind::reply) {
      v["reply"] = describe_reply(decision.reply);
      const auto arch = c.arch ? db::client_arch_of(*c.arch) : std::nullopt;
      if (arch == db::ClientArch::http_x64) {
        v["files"] = json::array();
        v["note"] = "HTTP boot fetches the boot file's URL, not TFTP files";
      } else {
        v["files"] = files_of(m, snap, arch, files);
      }
    } else {
      v["reply"] = nullptr;
      v["dropped"] = std::string(bootp::to_string(decision.drop));
      v["why"] = decision.note;
    }
    clients[c.name] = std::move(v);
  }
  out["clients"] = std::move(clients);
  return out;
}

}  // namespace bk::api
