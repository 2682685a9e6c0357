#pragma once
// The REST API v1 (DESIGN.md): routing, authorization, strict JSON bodies, and the resources
// over the Inventory. Pure request -> response; server/api/http_server.hpp carries it over HTTP.
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "db/inventory.hpp"
#include "server/api/http.hpp"
#include "server/bootp/responder.hpp"
#include "tftpd/image_root.hpp"

namespace bk::api {

// The one route table: dispatch, authorization, the OpenAPI test and /metrics all read it.
// `role` is the least role that may call it; none for /healthz.
struct Route {
  std::string_view method;
  std::string_view pattern;  // "/api/v1/machines/{key}"
  std::optional<db::Role> role;
  std::string_view summary;
};
std::span<const Route> routes();

// The OpenAPI 3 document served at /api/v1/openapi.json.
std::string_view openapi_document();

struct Services {
  // The Responder that answers BOOTP, for the preview (same settings, its own size cache).
  std::shared_ptr<const bootp::Responder> responder;
  // The image store, for the preview's files and image content.
  const tftp::ImageRoot* images = nullptr;
  // Prometheus text of the packet services; the API appends its own counters.
  std::function<std::string()> metrics;
};

class Api {
 public:
  Api(db::Inventory& inventory, Services services);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Thread-safe. Never throws: a failure inside becomes a 500 problem that names it.
  Response handle(const Request& request);

  // Authorization alone, for what the transport serves itself (the event stream, uploads):
  // nullopt when `request` may call `pattern`, else the refusal to send.
  std::optional<Response> authorize(const Request& request, std::string_view method,
                                    std::string_view pattern);

  // Counts a response the transport sent itself.
  void count(unsigned status);

  // PUT /api/v1/images/{id}/content?part=...: the transport streams the body to a temporary
  // file beside `path` and renames it into place; these hold the rules around that.
  struct UploadPlan {
    db::Id image = 0;
    std::string part;  // "boot_file" (the default), "kernel", "initrd", or an architecture
    std::string path;  // beneath the image root
  };
  // Authorizes, and finds which file of the image the body replaces; else the refusal.
  std::variant<UploadPlan, Response> plan_upload(const Request& head);
  // After the rename: records the boot file's size and sha256 on the image, and answers.
  Response finish_upload(const UploadPlan& plan, std::uint64_t size, const std::string& sha256);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A query parameter of `target`, percent-decoded as the API's own routes read it; nullopt when
// absent (or the target is malformed). For what the transport serves itself.
std::optional<std::string> query_value(std::string_view target, std::string_view key);

// One event as the API shows it ({"id", "at", "kind", "mac", "ip", "detail": {...}}), as text.
std::string event_text(const db::Event& e);

// An application/problem+json response (RFC 9457).
Response problem(unsigned status, std::string_view detail);

}  // namespace bk::api
