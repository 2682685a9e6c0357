// The REST API without sockets: Api::handle() with plain requests, as the transport calls it.
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "db/document.hpp"
#include "db/inventory.hpp"
#include "lab.hpp"
#include "server/api/api.hpp"

namespace {

using bk::api::Api;
using bk::api::Request;
using bk::api::Response;
using bk::db::Role;
using json = nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    std::filesystem::create_directories(dir_.path() / "images");
    write_file("images/pxelinux.0", std::string(4000, 'p'));
    write_file("images/vmlinuz", std::string(9000, 'k'));
    inv_ = std::make_unique<bk::db::Inventory>(dir_.file("bk.db"));
    inv_->write([](bk::db::Draft& d) {
      const auto report = bk::db::import_document(d, bk::test::lab_document());
      return report.errors();
    });
    root_ = std::make_unique<bk::tftp::ImageRoot>((dir_.path() / "images").string());
    bk::api::Services services;
    services.responder = std::make_shared<bk::bootp::Responder>(
        bk::bootp::Settings{}, bk::bootp::BootFiles{[this](std::string_view p) { return root_->size(p); }});
    services.images = root_.get();
    services.metrics = [] { return std::string("bootkeeper_bootp_received_total 7\n"); };
    api_ = std::make_unique<Api>(*inv_, services);
    viewer_ = inv_->create_token("ci-viewer", Role::viewer);
    operator_ = inv_->create_token("ci-operator", Role::operator_);
    admin_ = inv_->create_token("ci-admin", Role::admin);
  }

  void write_file(const std::string& rel, const std::string& text) {
    std::ofstream(dir_.path() / rel, std::ios::binary) << text;
  }

  Response call(const std::string& method, const std::string& target, const std::string& token,
                const std::string& body = {}, const std::string& type = "application/json") {
    Request r;
    r.method = method;
    r.target = target;
    r.authorization = token.empty() ? "" : "Bearer " + token;
    r.body = body;
    r.content_type = body.empty() ? "" : type;
    return api_->handle(r);
  }
  static json body(const Response& r) { return json::parse(r.body); }

  bk::test::TempDir dir_;
  std::unique_ptr<bk::db::Inventory> inv_;
  std::unique_ptr<bk::tftp::ImageRoot> root_;
  std::unique_ptr<Api> api_;
  std::string viewer_, operator_, admin_;
};

TEST_F(ApiTest, HealthNeedsNoTokenEverythingElseDoes) {
  EXPECT_EQ(call("GET", "/healthz", "").status, 200u);
  const auto none = call("GET", "/api/v1/machines", "");
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(none.content_type, "application/problem+json");
  EXPECT_NE(body(none)["detail"].get<std::string>().find("Authorization: Bearer"), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/machines", "not-a-token").status, 401u);
  EXPECT_EQ(call("GET", "/api/v1/machines", viewer_).status, 200u);
  EXPECT_EQ(call("GET", "/metrics", "").status, 401u);
}

TEST_F(ApiTest, EveryRoleAgainstEveryRoute) {
  const std::pair<Role, const std::string*> roles[] = {
      {Role::viewer, &viewer_}, {Role::operator_, &operator_}, {Role::admin, &admin_}};
  for (const auto& route : bk::api::routes()) {
    std::string target(route.pattern);
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"{id}", "1"},
                                   {"{key}", "52:54:00:12:34:56"},
                                   {"{mac}", "52:54:00:aa:bb:cc"}}) {
      if (const auto at = target.find(from); at != std::string::npos) target.replace(at, from.size(), to);
    }
    for (const auto& [role, token] : roles) {
      const auto r = call(std::string(route.method), target, *token, route.method == "GET" ? "" : "{}");
      const std::string what =
          std::string(route.method) + " " + target + " as " + std::string(bk::db::to_string(role));
      EXPECT_NE(r.status, 401u) << what;
      if (route.role && static_cast<int>(role) < static_cast<int>(*route.role)) {
        EXPECT_EQ(r.status, 403u) << what;
        EXPECT_NE(
            body(r)["detail"].get<std::string>().find("needs " + std::string(bk::db::to_string(*route.role))),
            std::string::npos)
            << what;
      } else {
        EXPECT_NE(r.status, 403u) << what << ": " << r.body;
        EXPECT_LT(r.status, 500u) << what << ": " << r.body;
      }
    }
  }
}

TEST_F(ApiTest, MachinesCreateReadUpdateDelete) {
  const auto created =
      call("POST", "/api/v1/machines", operator_,
           R"({"mac": "52-54-00-00-00-07", "hostname": "ws07", "ip": "198.18.0.57", "image": "lab-bios"})");
  ASSERT_EQ(created.status, 201u) << created.body;
  const auto m = body(created);
  EXPECT_EQ(m["mac"], "52:54:00:00:00:07");
  EXPECT_EQ(m["subnet"], "lab");
  EXPECT_EQ(m["origin"], "registered");
  ASSERT_EQ(created.headers.size(), 1u);
  EXPECT_EQ(created.headers[0].second, "/api/v1/machines/" + std::to_string(m["id"].get<int>()));

  // By id, by MAC in another form.
  EXPECT_EQ(body(call("GET", "/api/v1/machines/" + std::to_string(m["id"].get<int>()), viewer_))["hostname"],
            "ws07");
  EXPECT_EQ(body(call("GET", "/api/v1/machines/525400000007", viewer_))["hostname"], "ws07");

  const auto patched =
      call("PATCH", "/api/v1/machines/52:54:00:00:00:07", operator_, R"({"hostname": "ws07b"})");
  ASSERT_EQ(patched.status, 200u) << patched.body;
  EXPECT_EQ(body(patched)["hostname"], "ws07b");
  EXPECT_EQ(body(patched)["ip"], "198.18.0.57");
  EXPECT_EQ(inv_->snapshot()->machine_by_mac(*bk::db::Mac::parse("52:54:00:00:00:07"))->hostname, "ws07b");

  // PUT replaces: what the body leaves out goes back to its default.
  const auto put = call("PUT", "/api/v1/machines/52:54:00:00:00:07", operator_,
                        R"({"mac": "52:54:00:00:00:07", "hostname": "ws07c", "ip": "198.18.0.58"})");
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(body(put)["image_id"], nullptr);

  EXPECT_EQ(call("DELETE", "/api/v1/machines/52:54:00:00:00:07", operator_).status, 204u);
  EXPECT_EQ(call("GET", "/api/v1/machines/52:54:00:00:00:07", viewer_).status, 404u);
  EXPECT_EQ(call("DELETE", "/api/v1/machines/52:54:00:00:00:07", operator_).status, 404u);
}

TEST_F(ApiTest, EachRuleIsAProblemNamingTheField) {
  const auto dup = call("POST", "/api/v1/machines", operator_,
                        R"({"mac": "52:54:00:00:00:08", "hostname": "ws08", "ip": "198.18.0.50"})");
  EXPECT_EQ(dup.status, 409u);
  EXPECT_EQ(dup.content_type, "application/problem+json");
  EXPECT_EQ(body(dup)["errors"][0]["field"], "ip");
  EXPECT_NE(body(dup)["detail"].get<std::string>().find("ws01"), std::string::npos) << dup.body;

  const auto again = call("POST", "/api/v1/machines", operator_,
                          R"({"mac": "52:54:00:12:34:56", "hostname": "x", "ip": "198.18.0.60"})");
  EXPECT_EQ(again.status, 409u);
  EXPECT_NE(body(again)["detail"].get<std::string>().find("PUT or PATCH"), std::string::npos);

  const auto unknown =
      call("POST", "/api/v1/machines", operator_,
           R"({"mac": "52:54:00:00:00:09", "hostname": "ws09", "ip": "198.18.0.59", "colour": "blue"})");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(body(unknown)["errors"][0]["field"], "colour");

  const auto read_only = call("PATCH", "/api/v1/machines/52:54:00:12:34:56", operator_, R"({"id": 99})");
  EXPECT_EQ(read_only.status, 400u);
  EXPECT_EQ(body(read_only)["detail"], "id is read-only: the server sets it");

  const auto outside =
      call("PATCH", "/api/v1/machines/52:54:00:12:34:56", operator_, R"({"ip": "10.1.1.1"})");
  EXPECT_EQ(outside.status, 400u);
  EXPECT_EQ(body(outside)["errors"][0]["field"], "ip");

  EXPECT_EQ(call("POST", "/api/v1/machines", operator_, "{", "application/json").status, 400u);
  EXPECT_EQ(call("POST", "/api/v1/machines", operator_, "mac=1", "application/x-www-form-urlencoded").status,
            415u);
  EXPECT_EQ(call("GET", "/api/v1/subnets/999", viewer_).status, 404u);
  EXPECT_EQ(call("GET", "/api/v1/subnets/abc", viewer_).status, 404u);
  EXPECT_EQ(call("GET", "/api/v1/nothing", viewer_).status, 404u);
  const auto wrong_method = call("DELETE", "/api/v1/machines", admin_);
  EXPECT_EQ(wrong_method.status, 405u);
  EXPECT_EQ(wrong_method.headers.at(0).second, "GET, POST");
}

TEST_F(ApiTest, HostileBodiesAreRefusedNotCrashedOn) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(call("POST", "/api/v1/machines", operator_, deep).status, 400u);
  EXPECT_EQ(call("POST", "/api/v1/machines", operator_,
                 R"({"mac": "52:54:00:00:00:0a", "hostname": "h", "ip": 1e999999})")
                .status,
            400u);
  EXPECT_EQ(call("POST", "/api/v1/machines", operator_, "{\"hostname\": \"\xff\xfe\"}").status, 400u);
  const auto huge = call("POST", "/api/v1/machines", operator_,
                         R"({"mac": "52:54:00:00:00:0b", "ip": "198.18.0.61", "hostname": ")" +
                             std::string(10 << 20, 'a') + "\"}");
  EXPECT_EQ(huge.status, 400u);
  EXPECT_LT(huge.body.size(), 2000u);  // the detail quotes an excerpt, not the 10 MB
  EXPECT_EQ(inv_->snapshot()->machines().size(), 2u);
  // merge_patch and dump recurse: 50,000 levels in a PATCH or a registration overflowed the
  // stack (found by fuzzing). Refused before parsing.
  std::string nested;
  for (int i = 0; i < 50000; ++i)
    nested += R"({"":)";
  nested += "1" + std::string(50000, '}');
  const auto patch = call("PATCH", "/api/v1/machines/52:54:00:12:34:56", operator_, nested);
  EXPECT_EQ(patch.status, 400u);
  EXPECT_NE(body(patch)["detail"].get<std::string>().find("nested deeper than 32"), std::string::npos);
  EXPECT_EQ(
      call("POST", "/api/v1/discovered/52:54:00:aa:bb:cc/register", operator_,
           R"({"hostname": "x", "ip": "198.18.0.90", "options": {"17": )" + std::string(100000, '[') + "]}}")
          .status,
      400u);
  EXPECT_EQ(
      call("POST", "/api/v1/machines/import", operator_, std::string(40, '[') + std::string(40, ']')).status,
      400u);
  // Brackets inside strings are not nesting.
  EXPECT_EQ(call("PATCH", "/api/v1/machines/52:54:00:12:34:56", operator_,
                 R"({"group": ")" + std::string(60, '[') + R"("})")
                .status,
            200u);
}

TEST_F(ApiTest, ListsPageSearchAndSort) {
  std::string csv = "mac,hostname,ip\n";
  for (int i = 0; i < 30; ++i) {
    char line[80];
    std::snprintf(line, sizeof line, "52:54:00:00:01:%02x,pc%02d,198.18.0.%d\n", i, i, 100 + i);
    csv += line;
  }
  // Move the pool out of the way first: registered machines may not sit in it.
  ASSERT_EQ(call("PATCH", "/api/v1/subnets/" + std::to_string(inv_->snapshot()->subnet_by_name("lab")->id),
                 admin_, R"({"pool": null})")
                .status,
            200u);
  const auto imported = call("POST", "/api/v1/machines/import", operator_, csv, "text/csv");
  ASSERT_EQ(imported.status, 200u) << imported.body;
  auto page = body(call("GET", "/api/v1/machines?limit=10&offset=5&sort=hostname&q=pc", viewer_));
  EXPECT_EQ(page["total"], 30);
  ASSERT_EQ(page["items"].size(), 10u);
  EXPECT_EQ(page["items"][0]["hostname"], "pc05");
  page = body(call("GET", "/api/v1/machines?limit=1&sort=-ip", viewer_));
  EXPECT_EQ(page["items"][0]["ip"], "198.18.0.129");
  EXPECT_EQ(page["total"], 32);
  EXPECT_EQ(call("GET", "/api/v1/machines?limit=0", viewer_).status, 400u);
  EXPECT_EQ(call("GET", "/api/v1/machines?limit=5000", viewer_).status, 400u);
  EXPECT_EQ(call("GET", "/api/v1/machines?sort=colour", viewer_).status, 400u);
  EXPECT_EQ(body(call("GET", "/api/v1/machines?q=ROOM-A", viewer_))["total"], 2);
}

TEST_F(ApiTest, ImportIsAllOrNothingAndDryRunWritesNothing) {
  const std::string csv =
      "mac,hostname,ip\n52:54:00:00:02:01,a1,198.18.0.201\n52:54:00:00:02:02,a2,198.18.0.201\n";
  const auto bad = call("POST", "/api/v1/machines/import", operator_, csv, "text/csv");
  EXPECT_EQ(bad.status, 409u) << bad.body;
  EXPECT_EQ(body(bad)["report"]["rows"][1]["action"], "error");
  EXPECT_EQ(inv_->snapshot()->machines().size(), 2u);

  const std::string good = R"([{"mac": "52:54:00:00:02:01", "hostname": "a1", "ip": "198.18.0.201"}])";
  const auto dry = call("POST", "/api/v1/machines/import?dry_run=true", operator_, good);
  ASSERT_EQ(dry.status, 200u) << dry.body;
  EXPECT_EQ(body(dry)["summary"]["create"], 1);
  EXPECT_EQ(body(dry)["written"], false);
  EXPECT_EQ(inv_->snapshot()->machines().size(), 2u);
  const auto real = call("POST", "/api/v1/machines/import", operator_, good);
  EXPECT_EQ(body(real)["written"], true);
  EXPECT_EQ(inv_->snapshot()->machines().size(), 3u);
  EXPECT_EQ(call("POST", "/api/v1/machines/import", operator_, "x", "text/plain").status, 415u);
}

TEST_F(ApiTest, PreviewIsTheResponderAndTheFileSource) {
  const auto r = call("GET", "/api/v1/machines/52:54:00:12:34:56/preview", viewer_);
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto p = body(r);
  const auto& bootp = p["clients"]["bootp"]["reply"];
  EXPECT_EQ(bootp["yiaddr"], "198.18.0.50");
  EXPECT_EQ(bootp["file"], "pxelinux.0");
  bool hostname = false;
  for (const auto& o : bootp["options"]) {
    if (o["code"] == 12) {
      hostname = true;
      EXPECT_EQ(o["value"], "ws01");
      EXPECT_EQ(o["hex"], "77733031");
    }
  }
  EXPECT_TRUE(hostname);
  EXPECT_EQ(bootp["hex"].get<std::string>().size(), 2 * bootp["size"].get<std::size_t>());
  // PXE BIOS: the DHCP form with its lease; EFI x64: nothing for it in this image.
  EXPECT_EQ(p["clients"]["bios"]["reply"]["options"][0]["code"], 53);
  EXPECT_EQ(p["clients"]["efi-x64"]["reply"], nullptr);
  EXPECT_EQ(p["clients"]["efi-x64"]["why"], "image lab-bios has no boot file for EFI x64");
  const auto& files = p["clients"]["bios"]["files"];
  ASSERT_EQ(files.size(), 4u) << files.dump();
  EXPECT_EQ(files[0]["path"], "pxelinux.0");
  EXPECT_EQ(files[0]["size"], 4000);
  EXPECT_EQ(files[1]["source"], "generated");
  EXPECT_NE(files[1]["content"].get<std::string>().find("KERNEL ::/vmlinuz"), std::string::npos);
  EXPECT_EQ(files[3]["path"], "initrd.gz");
  EXPECT_EQ(files[3]["source"], "missing");
}

TEST_F(ApiTest, DiscoveredMachinesAreRegisteredFromThePath) {
  bk::db::Discovered d;
  d.mac = *bk::db::Mac::parse("52:54:00:aa:bb:cc");
  d.first_seen = d.last_seen = "2026-12-04T10:00:00.000Z";
  d.client_arch = 7;
  inv_->record_discovered(std::span(&d, 1));
  auto list = body(call("GET", "/api/v1/discovered", viewer_));
  ASSERT_EQ(list["total"], 1);
  EXPECT_EQ(list["items"][0]["client_arch"], 7);
  const auto reg = call("POST", "/api/v1/discovered/52-54-00-aa-bb-cc/register", operator_,
                        R"({"hostname": "new1", "ip": "198.18.0.70"})");
  ASSERT_EQ(reg.status, 201u) << reg.body;
  EXPECT_EQ(body(reg)["mac"], "52:54:00:aa:bb:cc");
  EXPECT_EQ(body(call("GET", "/api/v1/discovered", viewer_))["total"], 0);
  const auto other = call("POST", "/api/v1/discovered/52:54:00:aa:bb:cd/register", operator_,
                          R"({"mac": "52:54:00:aa:bb:ce", "hostname": "new2", "ip": "198.18.0.71"})");
  EXPECT_EQ(other.status, 400u);
}

TEST_F(ApiTest, EventsFilterByMacAndSince) {
  std::vector<bk::db::Event> events(3);
  events[0] = {0,
               "2026-12-04T10:00:00.000Z",
               "bootp.reply",
               bk::db::Mac::parse("52:54:00:12:34:56"),
               std::nullopt,
               R"({"file":"pxelinux.0"})"};
  events[1] = {
      0,   "2026-12-04T10:00:01.000Z", "tftp.start", bk::db::Mac::parse("52:54:00:12:34:56"), std::nullopt,
      "{}"};
  events[2] = {
      0,   "2026-12-04T10:00:02.000Z", "bootp.unknown", bk::db::Mac::parse("52:54:00:99:99:99"), std::nullopt,
      "{}"};
  inv_->append_events(events);
  auto got = body(call("GET", "/api/v1/events?mac=52-54-00-12-34-56", viewer_));
  ASSERT_EQ(got["items"].size(), 2u);
  EXPECT_EQ(got["items"][0]["detail"]["file"], "pxelinux.0");
  got = body(call("GET", "/api/v1/events?since=2026-12-04T10:00:00.500Z", viewer_));
  EXPECT_EQ(got["items"].size(), 2u);
  EXPECT_EQ(call("GET", "/api/v1/events?mac=nope", viewer_).status, 400u);
}

TEST_F(ApiTest, OpenApiDocumentAndRouterNameTheSameOperations) {
  const auto doc = json::parse(bk::api::openapi_document());
  std::set<std::string> routed, documented;
  for (const auto& r : bk::api::routes()) {
    std::string method(r.method);
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    routed.insert(method + " " + std::string(r.pattern));
  }
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      if (method != "parameters") documented.insert(method + " " + path);
    }
  }
  EXPECT_EQ(routed, documented);
  EXPECT_EQ(body(call("GET", "/api/v1/openapi.json", viewer_))["openapi"], "3.0.3");
}

TEST_F(ApiTest, MetricsAddTheApisOwnCounts) {
  call("GET", "/api/v1/nothing", viewer_);
  const auto r = call("GET", "/metrics", viewer_);
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("bootkeeper_bootp_received_total 7"), std::string::npos);
  EXPECT_NE(r.body.find("bootkeeper_api_requests_total{status=\"404\"} 1"), std::string::npos) << r.body;
}

}  // namespace

TEST_F(ApiTest, AdminsManageTokens) {
  const auto made = call("POST", "/api/v1/tokens", admin_, R"({"name": "script", "role": "operator"})");
  ASSERT_EQ(made.status, 201u) << made.body;
  const std::string secret = body(made)["token"];
  EXPECT_EQ(call("POST", "/api/v1/machines/import?dry_run=true", secret, "[]").status, 200u);
  const auto list = call("GET", "/api/v1/tokens", admin_);
  EXPECT_EQ(list.body.find(secret), std::string::npos);  // never shown again
  int id = 0;
  const auto listed = body(list);
  for (const auto& t : listed["items"]) {
    if (t["name"] == "script") id = t["id"];
  }
  ASSERT_NE(id, 0) << list.body;
  EXPECT_EQ(call("POST", "/api/v1/tokens", admin_, R"({"name": "script", "role": "viewer"})").status, 409u);
  EXPECT_EQ(call("POST", "/api/v1/tokens", admin_, R"({"name": "x", "role": "root"})").status, 400u);
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/" + std::to_string(id), admin_).status, 204u);
  EXPECT_EQ(call("GET", "/api/v1/machines", secret).status, 401u);
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/" + std::to_string(id), admin_).status, 404u);
}

TEST_F(ApiTest, FreeAddressesSkipWhatIsTakenOrReserved) {
  const auto lab = std::to_string(inv_->snapshot()->subnet_by_name("lab")->id);
  const auto r = call("GET", "/api/v1/subnets/" + lab + "/free?limit=3", viewer_);
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto items = body(r)["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["ip"], "198.18.0.2");  // .1 is the gateway and next server
  EXPECT_EQ(items[0]["hostname"], "lab-0-2");
  EXPECT_EQ(call("GET", "/api/v1/subnets/99/free", viewer_).status, 404u);
}
