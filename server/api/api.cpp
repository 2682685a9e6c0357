#include "server/api/api.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "db/document.hpp"
#include "db/draft.hpp"
#include "db/json_reader.hpp"
#include "db/names.hpp"
#include "server/api/preview.hpp"

namespace bk::api {
namespace {

using json = nlohmann::ordered_json;
using db::Role;

constexpr std::string_view kProblemType = "application/problem+json";
constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

Response json_response(unsigned status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

// The field errors of a refused write: 409 when any is a conflict, else 400. `detail` names the
// first; all of them are listed.
Response field_problem(const db::FieldErrors& errors, std::string_view prefix = {}) {
  const bool conflict = std::any_of(errors.begin(), errors.end(),
                                    [](const auto& e) { return e.kind == db::FieldError::Kind::conflict; });
  const unsigned status = conflict ? 409 : 400;
  json body{{"type", "about:blank"},
            {"title", reason_phrase(status)},
            {"status", status},
            {"detail", std::string(prefix) + errors.front().message()}};
  body["errors"] = json::array();
  for (const auto& e : errors)
    body["errors"].push_back({{"field", e.field}, {"reason", e.reason}});
  Response r = json_response(status, body);
  r.content_type = kProblemType;
  return r;
}

// -- the target: path segments and query --

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; '+' is a space in a query. nullopt for a broken escape.
std::optional<std::string> percent_decode(std::string_view s, bool query) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]);
      const int lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    } else if (query && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// The deepest nesting a body may have. The inventory's objects need 5 levels; nlohmann's parser
// is iterative, but merge_patch and dump recurse, and a body of 250 KB nested 50,000 deep
// overflowed the stack. So depth is checked before parsing.
constexpr int kMaxDepth = 32;

// Nesting depth of JSON text, counting brackets outside strings; exact for valid JSON, and an
// upper bound that stops at kMaxDepth + 1 for anything else.
int nesting_depth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > kMaxDepth) break;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// The one way a request body becomes JSON: the depth limit, then a strict parse (invalid UTF-8
// and trailing data are errors).
std::variant<nlohmann::json, Response> parse_body(std::string_view body) {
  if (nesting_depth(body) > kMaxDepth) {
    return problem(400, "the body is nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return problem(400, "the body is not valid JSON");
  return j;
}

struct Target {
  std::string path;
  std::map<std::string, std::string, std::less<>> query;
};

std::optional<Target> parse_target(std::string_view target) {
  Target t;
  const auto q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path || path->empty() || path->front() != '/') return std::nullopt;
  t.path = std::move(*path);
  if (t.path.size() > 1 && t.path.back() == '/') t.path.pop_back();
  if (q == std::string_view::npos) return t;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    t.query.emplace(std::move(*key), std::move(*value));
  }
  return t;
}

// "/api/v1/machines/{key}/preview" against "/api/v1/machines/ws01/preview": the {…} segments.
std::optional<std::vector<std::string>> match(std::string_view pattern, std::string_view path) {
  std::vector<std::string> params;
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern.front() != '/' || path.front() != '/') return std::nullopt;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const auto pe = pattern.find('/');
    const auto se = path.find('/');
    const std::string_view p = pattern.substr(0, pe);
    const std::string_view s = path.substr(0, se);
    if (p.starts_with('{')) {
      if (s.empty()) return std::nullopt;
      params.emplace_back(s);
    } else if (p != s) {
      return std::nullopt;
    }
    pattern = pe == std::string_view::npos ? std::string_view{} : pattern.substr(pe);
    path = se == std::string_view::npos ? std::string_view{} : path.substr(se);
  }
  return params;
}

std::optional<std::size_t> parse_count(std::string_view s) {
  std::size_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

constexpr Route kRoutes[] = {
    {"GET", "/healthz", std::nullopt, "liveness and the inventory's generation"},
    {"GET", "/metrics", Role::viewer, "Prometheus text: BOOTP, TFTP and API counters"},
    {"GET", "/api/v1/openapi.json", Role::viewer, "this API as an OpenAPI 3 document"},
    {"GET", "/api/v1/subnets", Role::viewer, "list subnets"},
    {"POST", "/api/v1/subnets", Role::admin, "create a subnet"},
    {"GET", "/api/v1/subnets/{id}", Role::viewer, "one subnet"},
    {"PUT", "/api/v1/subnets/{id}", Role::admin, "replace a subnet"},
    {"PATCH", "/api/v1/subnets/{id}", Role::admin, "change some fields of a subnet"},
    {"DELETE", "/api/v1/subnets/{id}", Role::admin, "delete a subnet"},
    {"GET", "/api/v1/subnets/{id}/free", Role::viewer,
     "the lowest free addresses, with suggested host names"},
    {"GET", "/api/v1/images", Role::viewer, "list images"},
    {"POST", "/api/v1/images", Role::admin, "create an image"},
    {"GET", "/api/v1/images/{id}", Role::viewer, "one image"},
    {"PUT", "/api/v1/images/{id}", Role::admin, "replace an image"},
    {"PATCH", "/api/v1/images/{id}", Role::admin, "change some fields of an image"},
    {"DELETE", "/api/v1/images/{id}", Role::admin, "delete an image"},
    {"PUT", "/api/v1/images/{id}/content", Role::admin,
     "upload one of the image's files (part=boot_file|kernel|initrd|<arch>)"},
    {"GET", "/api/v1/machines", Role::viewer, "list machines (q, limit, offset, sort)"},
    {"POST", "/api/v1/machines", Role::operator_, "register a machine"},
    {"POST", "/api/v1/machines/import", Role::operator_, "import CSV or the JSON document, all or nothing"},
    {"GET", "/api/v1/machines/{key}", Role::viewer, "one machine, by id or MAC"},
    {"PUT", "/api/v1/machines/{key}", Role::operator_, "replace a machine"},
    {"PATCH", "/api/v1/machines/{key}", Role::operator_, "change some fields of a machine"},
    {"DELETE", "/api/v1/machines/{key}", Role::operator_, "delete a machine"},
    {"GET", "/api/v1/machines/{key}/preview", Role::viewer, "the replies and files this machine would get"},
    {"GET", "/api/v1/discovered", Role::viewer, "machines that asked but are not registered"},
    {"POST", "/api/v1/discovered/{mac}/register", Role::operator_, "register a discovered machine"},
    {"GET", "/api/v1/events", Role::viewer, "events (mac, since, limit)"},
    {"GET", "/api/v1/events/stream", Role::viewer, "events as Server-Sent Events"},
    {"GET", "/api/v1/tokens", Role::admin, "list API tokens (never their secrets)"},
    {"POST", "/api/v1/tokens", Role::admin, "create a token; its secret is shown once"},
    {"DELETE", "/api/v1/tokens/{id}", Role::admin, "revoke a token"},
};

// Fields the server sets; a body may not.
constexpr std::string_view kReadOnly[] = {"id",         "subnet_id", "image_id", "last_seen", "created_at",
                                          "updated_at", "size",      "sha256",   "subnet"};

}  // namespace

json event_json(const db::Event& e) {
  json j{{"id", e.id}, {"at", e.at}, {"kind", e.kind}};
  j["mac"] = e.mac ? json(e.mac->str()) : json(nullptr);
  j["ip"] = e.ip ? json(e.ip->str()) : json(nullptr);
  auto detail = json::parse(e.detail, nullptr, false);
  j["detail"] = detail.is_discarded() ? json::object() : std::move(detail);
  return j;
}

std::optional<std::string> query_value(std::string_view target, std::string_view key) {
  const auto t = parse_target(target);
  if (!t) return std::nullopt;
  const auto it = t->query.find(key);
  return it == t->query.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::string event_text(const db::Event& e) {
  return event_json(e).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::span<const Route> routes() {
  return kRoutes;
}

Response problem(unsigned status, std::string_view detail) {
  Response r = json_response(
      status,
      json{
          {"type", "about:blank"}, {"title", reason_phrase(status)}, {"status", status}, {"detail", detail}});
  r.content_type = kProblemType;
  return r;
}

struct Api::Impl {
  db::Inventory& inv;
  Services services;
  std::mutex preview_mu;  // the FileSource keeps a table of open files
  tftp::FileSource files;
  std::array<std::atomic<std::uint64_t>, 6> by_class{};  // 1xx..5xx, index by status / 100
  std::map<unsigned, std::atomic<std::uint64_t>> by_status;
  std::mutex status_mu;

  Impl(db::Inventory& i, Services s) : inv(i), services(std::move(s)), files(*services.images) {
    for (const auto& r : kRoutes) {
      const auto h = handlers().find(route_key(r));
      if (h == handlers().end()) throw std::logic_error("route without a handler: " + route_key(r));
      by_route.push_back(h->second);
    }
    if (by_route.size() != handlers().size()) throw std::logic_error("a handler without a route");
  }

  struct Call {
    const Request& req;
    const Target& target;
    std::vector<std::string> params;
    Role role = Role::viewer;
  };
  using Handler = Response (Impl::*)(Call&);

  // -- representations: the document form plus what the server keeps --

  json subnet_json(const db::Subnet& s, const db::Snapshot& snap) const {
    json j{{"id", s.id}};
    j.update(db::subnet_document(s, snap));
    j["default_image_id"] = s.default_image_id ? json(*s.default_image_id) : json(nullptr);
    j["created_at"] = s.created_at;
    j["updated_at"] = s.updated_at;
    return j;
  }
  json image_json(const db::Image& i) const {
    json j{{"id", i.id}};
    j.update(db::image_document(i));
    j["size"] = i.size ? json(*i.size) : json(nullptr);
    j["sha256"] = i.sha256;
    j["created_at"] = i.created_at;
    j["updated_at"] = i.updated_at;
    return j;
  }
  json machine_json(const db::Machine& m, const db::Snapshot& snap) const {
    json j{{"id", m.id}};
    j.update(db::machine_document(m, snap));
    j["enabled"] = m.enabled;
    j["origin"] = std::string(db::to_string(m.origin));
    const db::Subnet* s = snap.subnet(m.subnet_id);
    j["subnet"] = s != nullptr ? json(s->name) : json(nullptr);
    j["subnet_id"] = m.subnet_id;
    j["image_id"] = m.image_id ? json(*m.image_id) : json(nullptr);
    j["last_seen"] = m.last_seen;
    j["created_at"] = m.created_at;
    j["updated_at"] = m.updated_at;
    return j;
  }

  // -- bodies --

  // The body as a JSON value, or the problem to answer.
  std::variant<nlohmann::json, Response> body_json(const Request& req) {
    if (req.content_type != "application/json") {
      return problem(415, "send the body as application/json (Content-Type: application/json)");
    }
    return parse_body(req.body);
  }

  // Read-only fields in a body are refused by name, before the reader sees them.
  static db::FieldErrors read_only_fields(const nlohmann::json& j) {
    db::FieldErrors errors;
    if (!j.is_object()) return errors;
    for (const auto field : kReadOnly) {
      if (j.contains(field)) errors.push_back({std::string(field), "is read-only: the server sets it"});
    }
    return errors;
  }

  // -- lookups by path parameter --

  static std::optional<db::Id> parse_id(std::string_view s) {
    db::Id v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v <= 0) return std::nullopt;
    return v;
  }
  // A machine by id, or by MAC in any accepted form (12 hex digits are a MAC, not an id).
  static const db::Machine* find_machine(const db::Snapshot& snap, std::string_view key) {
    if (key.size() < 12) {
      if (const auto id = parse_id(key)) return snap.machine(*id);
    }
    if (const auto mac = db::Mac::parse(key)) return snap.machine_by_mac(*mac);
    return nullptr;
  }

  // Runs `edit` as one write. Errors become 400/409 problems.
  std::optional<Response> write(const db::Inventory::Edit& edit, bool dry_run = false) {
    const auto errors = inv.write(edit, dry_run);
    if (!errors.empty()) return field_problem(errors);
    return std::nullopt;
  }

  // -- generic collection handlers over the three kinds --

  template <typename Entity>
  struct Kind;

  Response healthz(Call&) {
    const auto snap = inv.snapshot();
    return json_response(
        200,
        json{{"status", "ok"}, {"generation", snap->generation()}, {"machines", snap->machines().size()}});
  }

  Response metrics(Call&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = services.metrics ? services.metrics() : std::string();
    r.body +=
        "# HELP bootkeeper_api_requests_total API responses by status.\n"
        "# TYPE bootkeeper_api_requests_total counter\n";
    std::lock_guard lock(status_mu);
    for (const auto& [status, n] : by_status) {
      r.body += "bootkeeper_api_requests_total{status=\"" + std::to_string(status) + "\"} " +
                std::to_string(n.load()) + "\n";
    }
    return r;
  }

  Response openapi(Call&) {
    Response r;
    r.body = std::string(openapi_document());
    return r;
  }

  // Paging: limit (default 100, at most 1000) and offset.
  static std::optional<Response> paging(const Target& t, std::size_t& limit, std::size_t& offset) {
    limit = kDefaultLimit;
    offset = 0;
    if (const auto it = t.query.find("limit"); it != t.query.end()) {
      const auto v = parse_count(it->second);
      if (!v || *v == 0 || *v > kMaxLimit) {
        return problem(400, "limit must be a whole number from 1 to " + std::to_string(kMaxLimit));
      }
      limit = *v;
    }
    if (const auto it = t.query.find("offset"); it != t.query.end()) {
      const auto v = parse_count(it->second);
      if (!v) return problem(400, "offset must be a whole number");
      offset = *v;
    }
    return std::nullopt;
  }

  static json page(std::vector<json>&& all, std::size_t limit, std::size_t offset) {
    json items = json::array();
    for (std::size_t i = offset; i < all.size() && i < offset + limit; ++i)
      items.push_back(std::move(all[i]));
    return json{{"items", std::move(items)}, {"total", all.size()}};
  }

  Response list_subnets(Call& c) {
    std::size_t limit = 0, offset = 0;
    if (auto p = paging(c.target, limit, offset)) return *p;
    const auto snap = inv.snapshot();
    std::vector<json> all;
    for (const auto& [id, s] : snap->subnets())
      all.push_back(subnet_json(s, *snap));
    return json_response(200, page(std::move(all), limit, offset));
  }
  Response list_images(Call& c) {
    std::size_t limit = 0, offset = 0;
    if (auto p = paging(c.target, limit, offset)) return *p;
    const auto snap = inv.snapshot();
    std::vector<json> all;
    for (const auto& [id, i] : snap->images())
      all.push_back(image_json(i));
    return json_response(200, page(std::move(all), limit, offset));
  }

  // Machines: q (in MAC, host name, address or group), sort (id, mac, hostname, ip, group,
  // last_seen; '-' first for descending), limit and offset.
  // Machines in each sort order, and their search text, made once per Snapshot: a page of 50
  // from 10,000 machines is then a slice, and a search one pass over lower-case strings.
  static constexpr std::array<std::string_view, 6> kSorts{"id", "mac",   "hostname",
                                                          "ip", "group", "last_seen"};
  struct MachineIndex {
    std::shared_ptr<const db::Snapshot> snap;  // keeps the pointers below valid
    std::vector<const db::Machine*> machines;  // by id
    std::vector<std::string> text;             // lower-case "mac hostname ip group", same order
    std::array<std::vector<std::uint32_t>, kSorts.size()> orders;  // positions, ascending; built lazily
  };
  std::mutex index_mu;
  std::shared_ptr<MachineIndex> index;

  const std::vector<std::uint32_t>& order_of(MachineIndex& ix, std::size_t key) {
    auto& order = ix.orders[key];
    if (!order.empty() || ix.machines.empty()) return order;
    order.resize(ix.machines.size());
    for (std::uint32_t i = 0; i < order.size(); ++i)
      order[i] = i;
    const auto& m = ix.machines;
    const auto by = [&](auto field) {
      std::stable_sort(order.begin(), order.end(),
                       [&](std::uint32_t a, std::uint32_t b) { return field(*m[a]) < field(*m[b]); });
    };
    switch (key) {
      case 1:
        by([](const db::Machine& x) { return x.mac; });
        break;
      case 2:
        by([](const db::Machine& x) -> const std::string& { return x.hostname; });
        break;
      case 3:
        by([](const db::Machine& x) { return x.ip; });
        break;
      case 4:
        by([](const db::Machine& x) -> const std::string& { return x.group; });
        break;
      case 5:
        by([](const db::Machine& x) -> const std::string& { return x.last_seen; });
        break;
      default:
        break;  // by id already
    }
    return order;
  }

  std::shared_ptr<MachineIndex> machine_index(const std::shared_ptr<const db::Snapshot>& snap) {
    if (index && index->snap == snap) return index;
    auto ix = std::make_shared<MachineIndex>();
    ix->snap = snap;
    ix->machines.reserve(snap->machines().size());
    for (const auto& [mac, m] : snap->machines())
      ix->machines.push_back(&m);
    std::sort(ix->machines.begin(), ix->machines.end(),
              [](const db::Machine* a, const db::Machine* b) { return a->id < b->id; });
    ix->text.reserve(ix->machines.size());
    for (const auto* m : ix->machines) {
      std::string t = m->mac.str() + " " + m->hostname + " " + m->ip.str() + " " + m->group;
      for (auto& ch : t)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      ix->text.push_back(std::move(t));
    }
    index = ix;
    return ix;
  }

  // Machines: q (in MAC, host name, address or group), sort (id, mac, hostname, ip, group,
  // last_seen; '-' first for descending), limit and offset.
  Response list_machines(Call& c) {
    std::size_t limit = 0, offset = 0;
    if (auto p = paging(c.target, limit, offset)) return *p;
    std::string q;
    if (const auto it = c.target.query.find("q"); it != c.target.query.end()) q = it->second;
    for (auto& ch : q)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string_view sort = "id";
    if (const auto it = c.target.query.find("sort"); it != c.target.query.end()) sort = it->second;
    const bool descending = sort.starts_with('-');
    if (descending) sort.remove_prefix(1);
    const auto key = static_cast<std::size_t>(std::find(kSorts.begin(), kSorts.end(), sort) - kSorts.begin());
    if (key == kSorts.size()) {
      return problem(400,
                     "sort must be one of id, mac, hostname, ip, group, last_seen (with '-' for descending)");
    }
    const auto snap = inv.snapshot();
    std::lock_guard lock(index_mu);
    const auto ix = machine_index(snap);
    const auto& order = order_of(*ix, key);
    const std::size_t n = ix->machines.size();
    std::size_t total = 0;
    json items = json::array();
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint32_t i = descending ? order[n - 1 - k] : order[k];
      if (!q.empty() && ix->text[i].find(q) == std::string::npos) continue;
      if (total >= offset && total < offset + limit) items.push_back(machine_json(*ix->machines[i], *snap));
      ++total;
      if (q.empty() && total >= offset + limit) {
        total = n;  // without a search every machine counts: no need to walk the rest
        break;
      }
    }
    return json_response(200, json{{"items", std::move(items)}, {"total", total}});
  }

  Response get_subnet(Call& c) {
    const auto snap = inv.snapshot();
    const auto id = parse_id(c.params[0]);
    const db::Subnet* s = id ? snap->subnet(*id) : nullptr;
    if (s == nullptr) return problem(404, "no subnet with id " + db::excerpt(c.params[0]));
    return json_response(200, subnet_json(*s, *snap));
  }
  // For registering by hand: where a new machine can go, and the name the pattern gives it.
  Response free_in_subnet(Call& c) {
    const auto snap = inv.snapshot();
    const auto id = parse_id(c.params[0]);
    const db::Subnet* s = id ? snap->subnet(*id) : nullptr;
    if (s == nullptr) return problem(404, "no subnet with id " + db::excerpt(c.params[0]));
    std::size_t limit = 10, offset = 0;
    if (c.target.query.contains("limit")) {
      if (auto p = paging(c.target, limit, offset)) return *p;
    }
    json items = json::array();
    for (const auto ip : db::free_addresses(*snap, *s, limit))
      items.push_back({{"ip", ip.str()}, {"hostname", db::address_hostname(*s, ip)}});
    return json_response(200, json{{"items", std::move(items)}});
  }

  Response get_image(Call& c) {
    const auto snap = inv.snapshot();
    const auto id = parse_id(c.params[0]);
    const db::Image* i = id ? snap->image(*id) : nullptr;
    if (i == nullptr) return problem(404, "no image with id " + db::excerpt(c.params[0]));
    return json_response(200, image_json(*i));
  }
  Response get_machine(Call& c) {
    const auto snap = inv.snapshot();
    const db::Machine* m = find_machine(*snap, c.params[0]);
    if (m == nullptr) return problem(404, "no machine with id or MAC " + db::excerpt(c.params[0]));
    return json_response(200, machine_json(*m, *snap));
  }

  // Create (existing == nullptr), replace (PUT) or merge (PATCH, RFC 7396) one object: the body
  // in document form, read by the document's reader and judged by the inventory's rules.
  enum class Mode { create, replace, merge };

  template <typename Entity, typename Read, typename Render, typename Put, typename Find, typename Show>
  Response upsert(Call& c, Mode mode, std::string_view what, Read read, Render render, Put put, Find find,
                  Show show) {
    auto parsed = body_json(c.req);
    if (auto* r = std::get_if<Response>(&parsed)) return *r;
    nlohmann::json body = std::get<nlohmann::json>(std::move(parsed));
    if (!body.is_object()) return problem(400, "the body must be a JSON object");
    if (const auto ro = read_only_fields(body); !ro.empty()) return field_problem(ro);

    db::Id id = 0;
    std::string key;
    {
      const auto snap = inv.snapshot();
      if (mode != Mode::create) {
        const Entity* existing = find(*snap, c.params[0]);
        if (existing == nullptr) {
          return problem(404, "no " + std::string(what) + " with id " + db::excerpt(c.params[0]));
        }
        id = existing->id;
        if (mode == Mode::merge) {
          nlohmann::json current = nlohmann::json::parse(render(*existing, *snap).dump());
          current.merge_patch(body);
          body = std::move(current);
        }
      }
    }
    db::Id written = 0;
    auto err = write([&](db::Draft& d) {
      db::FieldErrors errors;
      Entity e = read(body, d.state(), errors);
      if (!errors.empty()) return errors;
      if (mode == Mode::create) {
        if (const auto clash = put.clash(d.state(), e)) return db::FieldErrors{*clash};
      } else {
        const Entity* before = find(d.state(), std::to_string(id));
        if (before == nullptr)
          return db::FieldErrors{{"id", "was deleted meanwhile", db::FieldError::Kind::not_found}};
        put.keep(*before, e);
      }
      e.id = id;
      errors = put(d, e);
      written = e.id;
      return errors;
    });
    if (err) return *err;
    const auto snap = inv.snapshot();
    const Entity* now = find(*snap, std::to_string(written));
    Response r = json_response(mode == Mode::create ? 201 : 200, now != nullptr ? show(*now, *snap) : json());
    if (mode == Mode::create)
      r.headers.emplace_back("Location", c.target.path + "/" + std::to_string(written));
    return r;
  }

  // What each kind adds to upsert: how a create clashes with an existing name, what a replace
  // keeps from the row it replaces, and the write itself.
  struct PutSubnet {
    static std::optional<db::FieldError> clash(const db::Snapshot& s, const db::Subnet& n) {
      if (s.subnet_by_name(n.name) == nullptr) return std::nullopt;
      return db::FieldError{"name", "is already used by another subnet", db::FieldError::Kind::conflict};
    }
    static void keep(const db::Subnet&, db::Subnet&) {}
    db::FieldErrors operator()(db::Draft& d, db::Subnet& s) const { return d.put_subnet(s); }
  };
  struct PutImage {
    static std::optional<db::FieldError> clash(const db::Snapshot& s, const db::Image& i) {
      if (s.image_by_name(i.name) == nullptr) return std::nullopt;
      return db::FieldError{"name", "is already used by another image", db::FieldError::Kind::conflict};
    }
    static void keep(const db::Image& before, db::Image& i) {
      i.size = before.size;
      i.sha256 = before.sha256;
    }
    db::FieldErrors operator()(db::Draft& d, db::Image& i) const { return d.put_image(i); }
  };
  struct PutMachine {
    static std::optional<db::FieldError> clash(const db::Snapshot& s, const db::Machine& m) {
      const db::Machine* other = s.machine_by_mac(m.mac);
      if (other == nullptr) return std::nullopt;
      return db::FieldError{"mac",
                            "is already registered as " + other->hostname + " (PUT or PATCH it instead)",
                            db::FieldError::Kind::conflict};
    }
    static void keep(const db::Machine& before, db::Machine& m) { m.last_seen = before.last_seen; }
    db::FieldErrors operator()(db::Draft& d, db::Machine& m) const { return d.put_machine(m); }
  };

  static const db::Subnet* subnet_by_key(const db::Snapshot& s, std::string_view key) {
    const auto id = parse_id(key);
    return id ? s.subnet(*id) : nullptr;
  }
  static const db::Image* image_by_key(const db::Snapshot& s, std::string_view key) {
    const auto id = parse_id(key);
    return id ? s.image(*id) : nullptr;
  }

  Response subnet_upsert(Call& c, Mode mode) {
    return upsert<db::Subnet>(
        c, mode, "subnet", db::read_subnet,
        [](const db::Subnet& s, const db::Snapshot& snap) { return db::subnet_document(s, snap); },
        PutSubnet{}, subnet_by_key,
        [this](const db::Subnet& s, const db::Snapshot& snap) { return subnet_json(s, snap); });
  }
  Response image_upsert(Call& c, Mode mode) {
    return upsert<db::Image>(
        c, mode, "image", db::read_image,
        [](const db::Image& i, const db::Snapshot&) { return db::image_document(i); }, PutImage{},
        image_by_key, [this](const db::Image& i, const db::Snapshot&) { return image_json(i); });
  }
  Response machine_upsert(Call& c, Mode mode) {
    return upsert<db::Machine>(
        c, mode, "machine", db::read_machine,
        [](const db::Machine& m, const db::Snapshot& snap) { return db::machine_document(m, snap); },
        PutMachine{}, find_machine,
        [this](const db::Machine& m, const db::Snapshot& snap) { return machine_json(m, snap); });
  }

  Response create_subnet(Call& c) { return subnet_upsert(c, Mode::create); }
  Response replace_subnet(Call& c) { return subnet_upsert(c, Mode::replace); }
  Response patch_subnet(Call& c) { return subnet_upsert(c, Mode::merge); }
  Response create_image(Call& c) { return image_upsert(c, Mode::create); }
  Response replace_image(Call& c) { return image_upsert(c, Mode::replace); }
  Response patch_image(Call& c) { return image_upsert(c, Mode::merge); }
  Response create_machine(Call& c) { return machine_upsert(c, Mode::create); }
  Response replace_machine(Call& c) { return machine_upsert(c, Mode::replace); }
  Response patch_machine(Call& c) { return machine_upsert(c, Mode::merge); }

  template <typename Find, typename Remove>
  Response remove(Call& c, std::string_view what, Find find, Remove rm) {
    db::Id id = 0;
    {
      const auto snap = inv.snapshot();
      const auto* e = find(*snap, c.params[0]);
      if (e == nullptr)
        return problem(404, "no " + std::string(what) + " with id " + db::excerpt(c.params[0]));
      id = e->id;
    }
    if (auto err = write([&](db::Draft& d) { return rm(d, id); })) return *err;
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }
  Response delete_subnet(Call& c) {
    return remove(c, "subnet", subnet_by_key, [](db::Draft& d, db::Id id) { return d.remove_subnet(id); });
  }
  Response delete_image(Call& c) {
    return remove(c, "image", image_by_key, [](db::Draft& d, db::Id id) { return d.remove_image(id); });
  }
  Response delete_machine(Call& c) {
    return remove(c, "machine", find_machine, [](db::Draft& d, db::Id id) { return d.remove_machine(id); });
  }

  // CSV (text/csv) or JSON: the inventory document, or an array of machines. All or nothing;
  // dry_run=true reports each row and writes nothing.
  Response import(Call& c) {
    bool dry_run = false;
    if (const auto it = c.target.query.find("dry_run"); it != c.target.query.end()) {
      if (it->second != "true" && it->second != "false") return problem(400, "dry_run must be true or false");
      dry_run = it->second == "true";
    }
    std::optional<nlohmann::json> doc;
    if (c.req.content_type == "application/json") {
      auto parsed = parse_body(c.req.body);
      if (auto* r = std::get_if<Response>(&parsed)) return *r;
      auto j = std::get<nlohmann::json>(std::move(parsed));
      if (j.is_array()) j = nlohmann::json{{"machines", std::move(j)}};
      doc = std::move(j);
    } else if (c.req.content_type != "text/csv") {
      return problem(415, "send text/csv (mac,hostname,ip,image,group,enabled) or application/json");
    }
    db::ImportReport report;
    const auto errors = inv.write(
        [&](db::Draft& d) {
          report = doc ? db::import_document(d, *doc) : db::import_machines_csv(d, c.req.body);
          return report.errors();
        },
        dry_run);
    json body = report.to_json();
    body["dry_run"] = dry_run;
    body["written"] = errors.empty() && !dry_run;
    if (errors.empty()) return json_response(200, body);
    Response r = field_problem(errors);
    json p = json::parse(r.body);
    p["report"] = std::move(body);
    r.body = p.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
  }

  Response get_preview(Call& c) {
    const auto snap = inv.snapshot();
    const db::Machine* m = find_machine(*snap, c.params[0]);
    if (m == nullptr) return problem(404, "no machine with id or MAC " + db::excerpt(c.params[0]));
    if (!services.responder)
      return problem(503, "the BOOTP server is off (--no-bootp), so there is nothing to preview");
    std::lock_guard lock(preview_mu);
    return json_response(200, preview(*m, *snap, *services.responder, files));
  }

  Response list_discovered(Call& c) {
    std::size_t limit = 0, offset = 0;
    if (auto p = paging(c.target, limit, offset)) return *p;
    const auto snap = inv.snapshot();
    std::vector<json> all;
    for (const auto& d : inv.discovered()) {
      if (snap->machine_by_mac(d.mac) != nullptr) continue;  // registered since
      json j{{"mac", d.mac.str()},
             {"first_seen", d.first_seen},
             {"last_seen", d.last_seen},
             {"count", d.count},
             {"relay", d.relay ? json(d.relay->str()) : json(nullptr)},
             {"vendor_class", d.vendor_class},
             {"client_arch", d.client_arch ? json(*d.client_arch) : json(nullptr)},
             {"hostname", d.hostname}};
      all.push_back(std::move(j));
    }
    return json_response(200, page(std::move(all), limit, offset));
  }

  // The body is a machine without its MAC, which comes from the path.
  Response register_discovered(Call& c) {
    const auto mac = db::Mac::parse(c.params[0]);
    if (!mac) return problem(400, "not a MAC address: " + db::excerpt(c.params[0]));
    auto parsed = body_json(c.req);
    if (auto* r = std::get_if<Response>(&parsed)) return *r;
    nlohmann::json body = std::get<nlohmann::json>(std::move(parsed));
    if (!body.is_object()) return problem(400, "the body must be a JSON object");
    if (body.contains("mac") && body["mac"] != mac->str() &&
        !(body["mac"].is_string() && db::Mac::parse(body["mac"].get<std::string>()) == mac)) {
      return field_problem({{"mac", "differs from the MAC in the path; leave it out"}});
    }
    body["mac"] = mac->str();
    Request with_body = c.req;
    with_body.body = body.dump();
    with_body.content_type = "application/json";
    Call call{with_body, c.target, {}, c.role};
    Response r = machine_upsert(call, Mode::create);
    if (r.status == 201) {
      const auto snap = inv.snapshot();
      if (const db::Machine* m = snap->machine_by_mac(*mac)) {
        r.headers.clear();
        r.headers.emplace_back("Location", "/api/v1/machines/" + std::to_string(m->id));
      }
    }
    return r;
  }

  Response list_events(Call& c) {
    db::Inventory::EventQuery q;
    if (const auto it = c.target.query.find("mac"); it != c.target.query.end()) {
      q.mac = db::Mac::parse(it->second);
      if (!q.mac) return problem(400, "mac is not a MAC address: " + db::excerpt(it->second));
    }
    if (const auto it = c.target.query.find("since"); it != c.target.query.end()) q.since = it->second;
    if (const auto it = c.target.query.find("limit"); it != c.target.query.end()) {
      const auto v = parse_count(it->second);
      if (!v || *v == 0 || *v > 10000) return problem(400, "limit must be a whole number from 1 to 10000");
      q.limit = *v;
    }
    json items = json::array();
    for (const auto& e : inv.events(q))
      items.push_back(event_json(e));
    return json_response(200, json{{"items", std::move(items)}});
  }

  Response list_tokens(Call&) {
    json items = json::array();
    for (const auto& t : inv.tokens()) {
      items.push_back({{"id", t.id},
                       {"name", t.name},
                       {"role", std::string(db::to_string(t.role))},
                       {"created_at", t.created_at},
                       {"last_used", t.last_used}});
    }
    const auto total = items.size();
    return json_response(200, json{{"items", std::move(items)}, {"total", total}});
  }

  // {"name": "...", "role": "viewer|operator|admin"} -> the token, shown this once.
  Response create_token(Call& c) {
    auto parsed = body_json(c.req);
    if (auto* r = std::get_if<Response>(&parsed)) return *r;
    const nlohmann::json body = std::get<nlohmann::json>(std::move(parsed));
    db::FieldErrors errors;
    db::JsonReader r(body, {"name", "role"}, errors);
    const auto name = r.text("name", true);
    const auto role_text = r.text("role", true);
    std::optional<Role> role;
    if (role_text) {
      role = db::parse_role(*role_text);
      if (!role) errors.push_back({"role", "must be viewer, operator or admin"});
    }
    if (!errors.empty()) return field_problem(errors);
    try {
      const std::string token = inv.create_token(*name, *role);
      Response out = json_response(201, json{{"name", *name}, {"role", *role_text}, {"token", token}});
      return out;
    } catch (const db::RuleViolation& v) {
      return field_problem(v.errors());
    }
  }

  Response revoke_token(Call& c) {
    const auto id = parse_id(c.params[0]);
    if (!id || !inv.revoke_token(*id)) return problem(404, "no token with id " + db::excerpt(c.params[0]));
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }

  Response upload_content(Call&) {
    return problem(400, "image content is streamed by the HTTP server; this path takes no buffered body");
  }

  Response stream_events(Call&) {
    return problem(400,
                   "the event stream needs an HTTP connection that stays open (Accept: text/event-stream)");
  }

  // Each route's handler, by "METHOD pattern", so that the order of the route table cannot
  // pair a route with another's handler. The constructor checks that both name the same set.
  static const std::map<std::string, Handler, std::less<>>& handlers() {
    static const std::map<std::string, Handler, std::less<>> kHandlers{
        {"GET /healthz", &Impl::healthz},
        {"GET /metrics", &Impl::metrics},
        {"GET /api/v1/openapi.json", &Impl::openapi},
        {"GET /api/v1/subnets", &Impl::list_subnets},
        {"POST /api/v1/subnets", &Impl::create_subnet},
        {"GET /api/v1/subnets/{id}", &Impl::get_subnet},
        {"PUT /api/v1/subnets/{id}", &Impl::replace_subnet},
        {"PATCH /api/v1/subnets/{id}", &Impl::patch_subnet},
        {"DELETE /api/v1/subnets/{id}", &Impl::delete_subnet},
        {"GET /api/v1/subnets/{id}/free", &Impl::free_in_subnet},
        {"GET /api/v1/images", &Impl::list_images},
        {"POST /api/v1/images", &Impl::create_image},
        {"GET /api/v1/images/{id}", &Impl::get_image},
        {"PUT /api/v1/images/{id}", &Impl::replace_image},
        {"PATCH /api/v1/images/{id}", &Impl::patch_image},
        {"DELETE /api/v1/images/{id}", &Impl::delete_image},
        {"PUT /api/v1/images/{id}/content", &Impl::upload_content},
        {"GET /api/v1/machines", &Impl::list_machines},
        {"POST /api/v1/machines", &Impl::create_machine},
        {"POST /api/v1/machines/import", &Impl::import},
        {"GET /api/v1/machines/{key}", &Impl::get_machine},
        {"PUT /api/v1/machines/{key}", &Impl::replace_machine},
        {"PATCH /api/v1/machines/{key}", &Impl::patch_machine},
        {"DELETE /api/v1/machines/{key}", &Impl::delete_machine},
        {"GET /api/v1/machines/{key}/preview", &Impl::get_preview},
        {"GET /api/v1/discovered", &Impl::list_discovered},
        {"POST /api/v1/discovered/{mac}/register", &Impl::register_discovered},
        {"GET /api/v1/events", &Impl::list_events},
        {"GET /api/v1/events/stream", &Impl::stream_events},
        {"GET /api/v1/tokens", &Impl::list_tokens},
        {"POST /api/v1/tokens", &Impl::create_token},
        {"DELETE /api/v1/tokens/{id}", &Impl::revoke_token},
    };
    return kHandlers;
  }
  static std::string route_key(const Route& r) {
    return std::string(r.method) + " " + std::string(r.pattern);
  }
  std::vector<Handler> by_route;  // in the order of kRoutes

  // Who calls: nullopt with the refusal set when not allowed.
  std::optional<Role> caller(const Request& req, const Route& route, Response& refusal) {
    if (!route.role) return Role::viewer;
    constexpr std::string_view kBearer = "Bearer ";
    if (req.authorization.size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), req.authorization.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      refusal = problem(
          401, "send a token: Authorization: Bearer <token> (bootkeeperd token create --role viewer)");
      refusal.headers.emplace_back("WWW-Authenticate", "Bearer");
      return std::nullopt;
    }
    const auto token = inv.verify_token(std::string_view(req.authorization).substr(kBearer.size()));
    if (!token) {
      refusal = problem(401, "the token is not known (revoked, or mistyped)");
      refusal.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return std::nullopt;
    }
    if (static_cast<int>(token->role) < static_cast<int>(*route.role)) {
      refusal = problem(403, "token " + token->name + " has role " + std::string(db::to_string(token->role)) +
                                 "; " + std::string(route.method) + " " + std::string(route.pattern) +
                                 " needs " + std::string(db::to_string(*route.role)));
      return std::nullopt;
    }
    return token->role;
  }

  Response dispatch(const Request& req) {
    const auto target = parse_target(req.target);
    if (!target) return problem(400, "the request target is not a valid path and query");
    bool path_known = false;
    std::string allowed;
    for (std::size_t i = 0; i < std::size(kRoutes); ++i) {
      auto params = match(kRoutes[i].pattern, target->path);
      if (!params) continue;
      path_known = true;
      if (kRoutes[i].method != req.method) {
        allowed += (allowed.empty() ? "" : ", ") + std::string(kRoutes[i].method);
        continue;
      }
      Response refusal;
      const auto role = caller(req, kRoutes[i], refusal);
      if (!role) return refusal;
      Call call{req, *target, std::move(*params), *role};
      return (this->*by_route[i])(call);
    }
    if (!path_known)
      return problem(404, "no such resource: " + db::excerpt(target->path) + " (see /api/v1/openapi.json)");
    Response r = problem(405, req.method + " is not allowed here; allowed: " + allowed);
    r.headers.emplace_back("Allow", allowed);
    return r;
  }

  void count(unsigned status) {
    std::lock_guard lock(status_mu);
    ++by_status[status];
  }
};

Api::Api(db::Inventory& inventory, Services services)
    : impl_(std::make_unique<Impl>(inventory, std::move(services))) {}
Api::~Api() = default;

Response Api::handle(const Request& request) {
  Response r;
  try {
    r = impl_->dispatch(request);
  } catch (const std::exception& e) {
    spdlog::error("API {} {}: {}", request.method, db::excerpt(request.target), e.what());
    r = problem(500, std::string("the server failed: ") + e.what());
  }
  impl_->count(r.status);
  return r;
}

std::optional<Response> Api::authorize(const Request& request, std::string_view method,
                                       std::string_view pattern) {
  for (const auto& route : kRoutes) {
    if (route.method != method || route.pattern != pattern) continue;
    Response refusal;
    if (impl_->caller(request, route, refusal)) return std::nullopt;
    impl_->count(refusal.status);
    return refusal;
  }
  return problem(500, "no such route: " + std::string(pattern));
}

void Api::count(unsigned status) {
  impl_->count(status);
}

std::variant<Api::UploadPlan, Response> Api::plan_upload(const Request& head) {
  // Refusals are counted here (authorize counts its own): the transport sends them as they are.
  const auto refuse = [this](Response r) {
    impl_->count(r.status);
    return r;
  };
  const auto target = parse_target(head.target);
  std::optional<std::vector<std::string>> params;
  if (target) params = match("/api/v1/images/{id}/content", target->path);
  if (!params) return refuse(problem(404, "no such resource: " + db::excerpt(head.target)));
  if (auto refusal = authorize(head, "PUT", "/api/v1/images/{id}/content")) return *refusal;
  const auto snap = impl_->inv.snapshot();
  const auto id = Impl::parse_id((*params)[0]);
  const db::Image* img = id ? snap->image(*id) : nullptr;
  if (img == nullptr) return refuse(problem(404, "no image with id " + db::excerpt((*params)[0])));
  UploadPlan plan{img->id, "boot_file", img->boot_file};
  if (const auto it = target->query.find("part"); it != target->query.end()) {
    plan.part = it->second;
    if (plan.part == "kernel") {
      plan.path = img->kernel;
    } else if (plan.part == "initrd") {
      plan.path = img->initrd;
    } else if (plan.part != "boot_file") {
      const auto arch = db::parse_client_arch(plan.part);
      const auto f = arch ? img->boot_files.find(*arch) : img->boot_files.end();
      if (!arch || f == img->boot_files.end() || *arch == db::ClientArch::http_x64) {
        return refuse(
            problem(400,
                    "part must be boot_file, kernel, initrd or an architecture of the image's boot_files "
                    "(not " +
                        db::excerpt(plan.part) + ")"));
      }
      plan.path = f->second;
    }
  }
  if (plan.path.empty()) {
    return refuse(
        problem(400, "image " + img->name + " names no " + plan.part + ": set it first (PATCH the image)"));
  }
  if (const auto why = db::relative_path_problem(plan.path))
    return refuse(problem(400, plan.part + " " + *why));
  return plan;
}

Response Api::finish_upload(const UploadPlan& plan, std::uint64_t size, const std::string& sha256) {
  if (plan.part == "boot_file") {
    const auto errors = impl_->inv.write([&](db::Draft& d) {
      const db::Image* img = d.state().image(plan.image);
      if (img == nullptr)
        return db::FieldErrors{{"id", "was deleted during the upload", db::FieldError::Kind::not_found}};
      db::Image changed = *img;
      changed.size = static_cast<std::int64_t>(size);
      changed.sha256 = sha256;
      return d.put_image(changed);
    });
    if (!errors.empty()) {
      Response r = field_problem(errors);
      impl_->count(r.status);
      return r;
    }
  }
  Response r = json_response(200, json{{"image_id", plan.image},
                                       {"part", plan.part},
                                       {"path", plan.path},
                                       {"size", size},
                                       {"sha256", sha256}});
  impl_->count(r.status);
  return r;
}

}  // namespace bk::api
