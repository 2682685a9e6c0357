// Fuzz target: the REST API as the HTTP server calls it, Api::handle() with no sockets, against
// the fuzz lab in an inventory file of its own. Any request must get an answer the API documents:
// never an exception, never a 500, a status from the API's list; every 4xx (and 503) an
// application/problem+json body whose "detail" says what is wrong; every JSON 2xx body valid
// JSON.
//
// An input is up to kMaxRequests requests, separated by a line "~~" ("\n~~\n"), run in order on
// the same inventory, so that one request can set up what the next one trips over (an import,
// then a PATCH of what it imported). Each request is
//
//   byte 0  method: (b - '0') % 8: 0 GET, 1 POST, 2 PUT, 3 PATCH, 4 DELETE, else the route's own
//   byte 1  target: '/' or 0xc0 and above: the target line is the whole target; else the route
//           routes()[(b - '@') % routes().size()] ('@' /healthz, 'A' /metrics, ...)
//   byte 2  Content-Type: (b - '0') % 4: 0 application/json, 1 text/csv, 2 text/plain, 3 none
//   byte 3  caller: (b - '0') % 8: 0 admin, 1 operator, 2 viewer, 3 a token that is not known,
//           4 no Authorization, 5 admin with "bearer" in lower case, 6 admin on an API whose
//           BOOTP server is off (no preview), 7 "Bearer " with no token
//   then the target line, up to '\n': for a route, what comes before its first '?' takes the
//   place of the route's {parameter} and the rest (the query) is appended; then the body, up to
//   the separator or the end.
//
// The seeds mostly spell their targets out ('/'), so that they keep their meaning when the route
// table grows. Every input starts from the same inventory: after an input that may have written
// (a 2xx to anything but GET), the database file is put back from a copy taken at start, so
// that a crash replays from the input alone and the inventory never grows. BK_API_FUZZ_TRACE=1
// prints each request and its answer (to read what a seed or a crash does).
#include <stdlib.h>  // mkdtemp
#include <unistd.h>  // access

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "db/inventory.hpp"
#include "fuzz_check.hpp"
#include "fuzz_lab.hpp"
#include "server/api/api.hpp"
#include "server/bootp/responder.hpp"
#include "tftpd/image_root.hpp"

namespace {

namespace fs = std::filesystem;
using bk::api::Request;
using bk::api::Response;

constexpr std::size_t kMaxRequests = 4;
constexpr std::string_view kSeparator = "\n~~\n";
constexpr std::string_view kProblemType = "application/problem+json";
// Every status Api::handle() may answer with (413 comes from the transport, listed for safety).
constexpr std::array<unsigned, 12> kStatuses{200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 503};

// Where the lab's files go: $TMPDIR when set, else /dev/shm when there is one, else /tmp. The
// inventory is put back after most writes, and on a disk every close waits for SQLite's fsync.
fs::path scratch() {
  std::error_code ec;
  if (std::getenv("TMPDIR") == nullptr && fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  return fs::temp_directory_path();
}

// The lab on disk: an inventory file, its pristine copy, an image root with the lab's files, and
// the two APIs over it (with and without a BOOTP server to preview with).
class Lab {
 public:
  Lab() {
    std::string tmpl = (scratch() / "bk-api-fuzz-XXXXXX").string();
    FUZZ_CHECK_MSG(::mkdtemp(tmpl.data()) != nullptr, "cannot make a temporary directory in %s",
                   scratch().c_str());
    dir_ = tmpl;
    db_ = (dir_ / "bk.db").string();
    pristine_ = (dir_ / "pristine.db").string();
    fs::create_directories(dir_ / "images" / "efi");
    for (const char* f : {"pxelinux.0", "vmlinuz", "initrd.gz", "memtest86+.bin", "efi/grubx64.efi"})
      std::ofstream(dir_ / "images" / f, std::ios::binary) << "image file " << f << "\n";
    root_ = std::make_unique<bk::tftp::ImageRoot>((dir_ / "images").string());
    responder_ = std::make_shared<bk::bootp::Responder>(
        bk::bootp::Settings{}, bk::bootp::BootFiles{[this](std::string_view p) { return root_->size(p); }});

    {
      bk::db::Inventory inv(db_);
      const auto errors = inv.write([](bk::db::Draft& d) {
        const auto report = bk::db::import_document(d, bk::fuzz::lab_document());
        return report.errors();
      });
      FUZZ_CHECK_MSG(errors.empty(), "the fuzz lab does not import: %s", errors.front().message().c_str());
      admin_ = inv.create_token("fuzz-admin", bk::db::Role::admin);
      operator_ = inv.create_token("fuzz-operator", bk::db::Role::operator_);
      viewer_ = inv.create_token("fuzz-viewer", bk::db::Role::viewer);
      // What the BOOTP server would have logged: sightings (one with a host name that is not
      // UTF-8, as a client may send) and events (one whose detail is not JSON).
      const bk::db::Discovered seen[] = {
          {*bk::db::Mac::parse("52:54:00:aa:00:01"), "", "", 0, bk::db::Ipv4::parse("198.18.10.1"),
           "PXEClient:Arch:00007:UNDI:003016", 7, "new-node"},
          {*bk::db::Mac::parse("52:54:00:aa:00:02"), "", "", 0, std::nullopt, "caf\xe9", std::nullopt,
           "h\xf6st\xff"},
      };
      inv.record_discovered(seen);
      const bk::db::Event events[] = {
          {0, "2026-12-04T00:00:01.000Z", "bootp.request", bk::db::Mac::parse("52:54:00:12:34:56"),
           bk::db::Ipv4::parse("198.18.0.50"), R"({"xid": "0x1234", "arch": 7})"},
          {0, "2026-12-04T00:00:02.000Z", "tftp.start", std::nullopt, std::nullopt, "not json \xff"},
      };
      inv.append_events(events);
    }  // closing it folds the write-ahead log into the file
    fs::copy_file(db_, pristine_, fs::copy_options::overwrite_existing);
    open();
  }
  ~Lab() {
    close();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  bk::api::Api& api(bool with_bootp) { return with_bootp ? *api_ : *api_no_bootp_; }
  const std::string& admin() const { return admin_; }
  const std::string& operator_token() const { return operator_; }
  const std::string& viewer() const { return viewer_; }

  // Back to the inventory of the start, when anything may have been written since: `wrote`
  // (tokens and logs are not in the Snapshot), or a new Snapshot.
  void restore(bool wrote) {
    if (!wrote && inv_->snapshot()->generation() == generation_) return;
    close();
    fs::copy_file(pristine_, db_, fs::copy_options::overwrite_existing);
    open();
  }

 private:
  void open() {
    std::error_code ec;
    fs::remove(db_ + "-wal", ec);
    fs::remove(db_ + "-shm", ec);
    inv_ = std::make_unique<bk::db::Inventory>(db_);
    generation_ = inv_->snapshot()->generation();
    bk::api::Services services;
    services.responder = responder_;
    services.images = root_.get();
    services.metrics = [] { return std::string("bootkeeper_bootp_received_total 7\n"); };
    api_ = std::make_unique<bk::api::Api>(*inv_, services);
    services.responder = nullptr;
    api_no_bootp_ = std::make_unique<bk::api::Api>(*inv_, services);
  }
  void close() {
    api_.reset();
    api_no_bootp_.reset();
    inv_.reset();
  }

  fs::path dir_;
  std::string db_, pristine_;
  std::unique_ptr<bk::tftp::ImageRoot> root_;
  std::shared_ptr<const bk::bootp::Responder> responder_;
  std::unique_ptr<bk::db::Inventory> inv_;
  std::uint64_t generation_ = 0;
  std::unique_ptr<bk::api::Api> api_, api_no_bootp_;
  std::string admin_, operator_, viewer_;
};

// Set up at the first input; removed at exit (a crash leaves its directory behind).
Lab& lab() {
  static Lab l;
  return l;
}

std::string_view take_line(std::string_view& in) {
  const auto nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return line;
}

std::uint8_t pick(char c, char base, unsigned n) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(c - base) % n);
}

// One request from its bytes (at least the four header bytes); with_bootp set for the API to
// send it to.
Request decode(std::string_view in, bool& with_bootp) {
  static constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  static constexpr std::string_view kTypes[] = {"application/json", "text/csv", "text/plain", ""};
  const auto routes = bk::api::routes();
  Request r;
  const std::uint8_t method = pick(in[0], '0', 8);
  const bool raw = in[1] == '/' || static_cast<std::uint8_t>(in[1]) >= 0xc0;
  const std::size_t route = pick(in[1], '@', static_cast<unsigned>(routes.size()));
  r.content_type = kTypes[pick(in[2], '0', 4)];
  const std::uint8_t caller = pick(in[3], '0', 8);
  in.remove_prefix(4);
  const std::string_view line = take_line(in);
  r.body = in;

  if (!raw) {
    const auto& rt = routes[route];
    r.method = method < 5 ? kMethods[method] : rt.method;
    std::string target(rt.pattern);
    const auto q = line.find('?');
    if (const auto open = target.find('{'); open != std::string::npos) {
      const auto close = target.find('}', open);
      target.replace(open, close - open + 1, line.substr(0, q));
      if (q != std::string_view::npos) target += line.substr(q);
    } else {
      target += line;
    }
    r.target = std::move(target);
  } else {
    r.method = method < 5 ? kMethods[method] : "GET";
    r.target = line;
  }

  Lab& l = lab();
  with_bootp = caller != 6;
  switch (caller) {
    case 1:
      r.authorization = "Bearer " + l.operator_token();
      break;
    case 2:
      r.authorization = "Bearer " + l.viewer();
      break;
    case 3:
      r.authorization = "Bearer bk_not-a-token";
      break;
    case 4:
      break;
    case 5:
      r.authorization = "bearer " + l.admin();
      break;
    case 7:
      r.authorization = "Bearer ";
      break;
    default:
      r.authorization = "Bearer " + l.admin();
  }
  return r;
}

const char* show(const Request& q, const Response& r) {
  static std::string text;
  text = q.method + " " + q.target + " (" + q.content_type + ") -> " + std::to_string(r.status) + " " +
         r.content_type + ": " + r.body.substr(0, 2000);
  return text.c_str();
}

bool has_header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name && !v.empty()) return true;
  }
  return false;
}

void check(const Request& q, const Response& r) {
  FUZZ_CHECK_MSG(r.status != 500, "a server failure: %s", show(q, r));
  FUZZ_CHECK_MSG(std::find(kStatuses.begin(), kStatuses.end(), r.status) != kStatuses.end(),
                 "a status the API does not use: %s", show(q, r));

  if (r.status >= 400) {
    FUZZ_CHECK_MSG(r.content_type == kProblemType, "an error that is not a problem document: %s", show(q, r));
    const auto p = nlohmann::json::parse(r.body, nullptr, false);
    FUZZ_CHECK_MSG(p.is_object(), "a problem body that is not a JSON object: %s", show(q, r));
    const auto detail = p.find("detail");
    FUZZ_CHECK_MSG(detail != p.end() && detail->is_string() && !detail->get<std::string>().empty(),
                   "a problem without a detail: %s", show(q, r));
    const auto status = p.find("status");
    FUZZ_CHECK_MSG(status != p.end() && *status == r.status, "a problem whose status differs: %s",
                   show(q, r));
    if (r.status == 401)
      FUZZ_CHECK_MSG(has_header(r, "WWW-Authenticate"), "401 without WWW-Authenticate: %s", show(q, r));
    if (r.status == 405) FUZZ_CHECK_MSG(has_header(r, "Allow"), "405 without Allow: %s", show(q, r));
    return;
  }

  if (r.status == 204) {
    FUZZ_CHECK_MSG(r.body.empty(), "204 with a body: %s", show(q, r));
    return;
  }
  FUZZ_CHECK_MSG(r.content_type != kProblemType, "a success as a problem document: %s", show(q, r));
  if (r.content_type == "application/json") {
    FUZZ_CHECK_MSG(!nlohmann::json::parse(r.body, nullptr, false).is_discarded(),
                   "a JSON success that does not parse: %s", show(q, r));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool trace = std::getenv("BK_API_FUZZ_TRACE") != nullptr;
  Lab& l = lab();
  bool wrote = false;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (std::size_t n = 0; n < kMaxRequests && in.size() >= 4; ++n) {
    const auto sep = in.find(kSeparator);
    const std::string_view one = in.substr(0, sep);
    in = sep == std::string_view::npos ? std::string_view{} : in.substr(sep + kSeparator.size());
    if (one.size() < 4) continue;

    bool with_bootp = true;
    const Request q = decode(one, with_bootp);
    Response r;
    try {
      r = l.api(with_bootp).handle(q);
    } catch (const std::exception& e) {
      FUZZ_CHECK_MSG(false, "Api::handle threw: %s: %s %s", e.what(), q.method.c_str(), q.target.c_str());
    } catch (...) {
      FUZZ_CHECK_MSG(false, "Api::handle threw something: %s %s", q.method.c_str(), q.target.c_str());
    }
    if (trace) std::fprintf(stderr, "%s\n", show(q, r));
    check(q, r);
    wrote = wrote || (q.method != "GET" && r.status < 300);
  }
  l.restore(wrote);
  return 0;
}
