#include "server/api/http_server.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <filesystem>
#include <limits>
#include <list>
#include <mutex>

#include "db/digest.hpp"
#include "db/names.hpp"

namespace bk::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
namespace fs = std::filesystem;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr auto kKeepAlive = std::chrono::seconds(15);
constexpr std::size_t kStreamBacklog = 10000;  // events queued for one slow stream before it is closed

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The plain request the Api sees, from the header Beast parsed.
template <typename Fields>
Request request_of(const http::request_header<Fields>& h) {
  Request r;
  r.method = std::string(h.method_string());
  r.target = std::string(h.target());
  const auto ct = h[http::field::content_type];
  std::string type = lower(std::string_view(ct.data(), ct.size()));
  if (const auto semi = type.find(';'); semi != std::string::npos) type.resize(semi);
  while (!type.empty() && type.back() == ' ')
    type.pop_back();
  r.content_type = std::move(type);
  r.authorization = std::string(h[http::field::authorization]);
  return r;
}

http::response<http::string_body> to_beast(const Response& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "bootkeeperd");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers)
    res.set(k, v);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// The refusal of an upload whose temporary file cannot be made beside its target. A read-only
// image root is the recommended set-up (the systemd unit makes it so), not a server fault: the
// answer says how to allow uploads.
Response cannot_write_beside(const std::string& path, const fs::path& folder, int err) {
  if (err == EROFS || err == EACCES || err == EPERM) {
    return problem(403, "the image root is read-only to bootkeeperd (" + std::string(std::strerror(err)) +
                            " in " + folder.string() + "), so " + path +
                            " cannot be uploaded: copy it there as an administrator, or give the daemon "
                            "write access to the image root (under systemd: `systemctl edit bootkeeperd`, "
                            "ReadWritePaths=<image root>)");
  }
  return problem(500, "cannot write beside " + path + " in the image root: " + std::strerror(err));
}

bool is_upload(std::string_view method, std::string_view path) {
  return method == "PUT" && path.starts_with("/api/v1/images/") && path.ends_with("/content");
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  asio::io_context& io;
  HttpOptions options;
  Api& api;
  tcp::acceptor acceptor;
  std::optional<asio::ssl::context> tls;
  std::size_t connections = 0;

  // One open event stream: its filter, its queue, and a timer that wakes its writer.
  struct EventStream {
    std::optional<db::Mac> mac;
    std::deque<std::string> queue;
    asio::steady_timer wake;
    bool overflowed = false;
    explicit EventStream(asio::io_context& io) : wake(io) {}
  };
  std::list<std::shared_ptr<EventStream>> streams;  // touched on the io thread only

  Impl(asio::io_context& i, HttpOptions o, Api& a) : io(i), options(std::move(o)), api(a), acceptor(i) {
    if (!options.tls_cert.empty() || !options.tls_key.empty()) {
      if (options.tls_cert.empty() || options.tls_key.empty()) {
        throw std::runtime_error("HTTPS needs both --api-tls-cert and --api-tls-key");
      }
      tls.emplace(asio::ssl::context::tls_server);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
      boost::system::error_code ec;
      tls->use_certificate_chain_file(options.tls_cert, ec);
      if (ec)
        throw std::runtime_error("--api-tls-cert " + options.tls_cert + ": " + ec.message() +
                                 " (a PEM certificate is needed)");
      tls->use_private_key_file(options.tls_key, asio::ssl::context::pem, ec);
      if (ec)
        throw std::runtime_error("--api-tls-key " + options.tls_key + ": " + ec.message() +
                                 " (a PEM private key of the certificate is needed)");
    }
    const tcp::endpoint ep(asio::ip::make_address_v4(options.listen.address.str()), options.listen.port);
    boost::system::error_code ec;
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error(
          "cannot listen on " + options.listen.address.str() + ":" + std::to_string(options.listen.port) +
          " for the REST API: " + ec.message() +
          (ec == boost::system::errc::address_in_use
               ? " (another bootkeeperd? pass --api-listen with a free port, or --no-api)"
               : ""));
    }
  }

  void start() { asio::co_spawn(io, accept_loop(shared_from_this()), asio::detached); }

  static awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await self->acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {
        spdlog::warn("API: accept failed: {}", ec.message());
        asio::steady_timer pause(self->io, std::chrono::milliseconds(100));
        co_await pause.async_wait(use_awaitable);
        continue;
      }
      if (self->connections >= self->options.max_connections) {
        socket.close();  // the client sees a reset and retries; the others keep working
        continue;
      }
      ++self->connections;
      if (self->tls) {
        asio::co_spawn(self->io, tls_session(self, std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(self->io, plain_session(self, std::move(socket)), asio::detached);
      }
    }
  }

  template <typename Stream>
  static awaitable<void> send(Stream& stream, const Response& r, unsigned version, bool keep_alive) {
    auto res = to_beast(r, version, keep_alive);
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    co_await http::async_write(stream, res, use_awaitable);
  }

  // A refusal the transport makes itself: counted for /metrics like the Api's, and the
  // connection closed after it (the rest of the request may still be on the way).
  template <typename Stream>
  static awaitable<void> refuse(std::shared_ptr<Impl> self, Stream& stream, const Response& r,
                                unsigned version) {
    self->api.count(r.status);
    co_await send(stream, r, version, false);
  }

  // HTTPS: the handshake, then the same conversation.
  static awaitable<void> tls_session(std::shared_ptr<Impl> self, tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *self->tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    boost::system::error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      spdlog::debug("API: TLS handshake failed: {}", ec.message());
      --self->connections;
      co_return;
    }
    co_await session(self, stream);
  }

  static awaitable<void> plain_session(std::shared_ptr<Impl> self, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await session(self, stream);
  }

  template <typename Stream>
  static awaitable<void> session(std::shared_ptr<Impl> self, Stream& stream) {
    beast::flat_buffer buffer;
    try {
      for (;;) {
        http::request_parser<http::empty_body> head;
        head.header_limit(16 * 1024);
        // Not boost::none: Boost 1.74 compares the length with the optional, and any length is
        // "greater" than none. The limit that counts is set on the parser that reads the body.
        head.body_limit(std::numeric_limits<std::uint64_t>::max());
        beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
        boost::system::error_code ec;
        co_await http::async_read_header(stream, buffer, head, asio::redirect_error(use_awaitable, ec));
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
            ec == asio::error::connection_reset) {
          break;
        }
        if (ec) {
          co_await refuse(self, stream, problem(400, "the request is not valid HTTP/1.1: " + ec.message()),
                          11);
          break;
        }
        const auto& h = head.get();
        Request req = request_of(h);
        const std::string_view path = path_of(req.target);
        const unsigned version = h.version();

        if (req.method == "GET" && path == "/api/v1/events/stream") {
          co_await event_stream(self, stream, req, version);
          break;
        }
        if (is_upload(req.method, path)) {
          if (!co_await upload(self, stream, buffer, head, req)) break;
          continue;
        }

        const std::uint64_t limit =
            path == "/api/v1/machines/import" ? self->options.import_body_limit : self->options.body_limit;
        if (const auto length = head.content_length(); length && *length > limit) {
          const Response big = problem(413, "the body is " + std::to_string(*length) +
                                                " bytes; this path takes at most " + std::to_string(limit));
          co_await refuse(self, stream, big, version);
          break;
        }
        if (h[http::field::expect] == "100-continue") {
          http::response<http::empty_body> cont{http::status::continue_, version};
          co_await http::async_write(stream, cont, use_awaitable);
        }
        http::request_parser<http::string_body> full(std::move(head));
        full.body_limit(limit);
        co_await http::async_read(stream, buffer, full, asio::redirect_error(use_awaitable, ec));
        if (ec == http::error::body_limit) {
          const Response big = problem(413, "the body is larger than " + std::to_string(limit) + " bytes");
          co_await refuse(self, stream, big, version);
          break;
        }
        if (ec) break;
        req.body = std::move(full.get().body());
        const Response r = self->api.handle(req);
        const bool keep_alive = full.get().keep_alive();
        co_await send(stream, r, version, keep_alive);
        if (!keep_alive) break;
      }
    } catch (const std::exception& e) {
      spdlog::debug("API: connection ended: {}", e.what());
    }
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
    --self->connections;
  }

  // Server-Sent Events: every event as `data: <json>`, a comment every 15 s so that proxies and
  // clients see the connection alive. ?mac= keeps one machine's.
  template <typename Stream>
  static awaitable<void> event_stream(std::shared_ptr<Impl> self, Stream& stream, const Request& req,
                                      unsigned version) {
    if (auto refusal = self->api.authorize(req, "GET", "/api/v1/events/stream")) {
      co_await send(stream, *refusal, version, false);
      co_return;
    }
    auto s = std::make_shared<EventStream>(self->io);
    if (const auto mac = query_value(req.target, "mac")) {
      s->mac = db::Mac::parse(*mac);
      if (!s->mac) {
        co_await refuse(self, stream, problem(400, "mac is not a MAC address: " + db::excerpt(*mac)),
                        version);
        co_return;
      }
    }
    self->api.count(200);
    http::response<http::empty_body> res{http::status::ok, version};
    res.set(http::field::server, "bootkeeperd");
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache");
    res.keep_alive(true);
    http::response_serializer<http::empty_body> sr{res};
    beast::get_lowest_layer(stream).expires_never();
    co_await http::async_write_header(stream, sr, use_awaitable);
    co_await asio::async_write(stream, asio::buffer(std::string_view(": bootkeeper events\n\n")),
                               use_awaitable);

    self->streams.push_back(s);
    const auto me = std::prev(self->streams.end());
    try {
      for (;;) {
        if (s->overflowed) break;
        if (s->queue.empty()) {
          s->wake.expires_after(kKeepAlive);
          boost::system::error_code ec;
          co_await s->wake.async_wait(asio::redirect_error(use_awaitable, ec));
          if (s->queue.empty() && !s->overflowed) {
            co_await asio::async_write(stream, asio::buffer(std::string_view(": keep-alive\n\n")),
                                       use_awaitable);
          }
          continue;
        }
        std::string out;
        while (!s->queue.empty()) {
          out += s->queue.front();
          s->queue.pop_front();
        }
        co_await asio::async_write(stream, asio::buffer(out), use_awaitable);
      }
    } catch (const std::exception&) {
      // the client went away
    }
    self->streams.erase(me);
  }

  void deliver(const db::Event& e, const std::string& text) {
    for (auto& s : streams) {
      if (s->mac && e.mac != s->mac) continue;
      if (s->queue.size() >= kStreamBacklog) {
        s->overflowed = true;  // a client that does not read is closed, not buffered forever
      } else {
        std::string frame = "event: " + e.kind + "\n";
        if (e.id != 0) frame += "id: " + std::to_string(e.id) + "\n";
        frame += "data: " + text + "\n\n";
        s->queue.push_back(std::move(frame));
      }
      s->wake.cancel();
    }
  }

  // Streams the body to a temporary file in the target's folder, hashing as it goes, then
  // renames it over the target: a transfer that has the old file open finishes the old bytes.
  // Returns whether the connection may carry another request.
  template <typename Stream>
  static awaitable<bool> upload(std::shared_ptr<Impl> self, Stream& stream, beast::flat_buffer& buffer,
                                http::request_parser<http::empty_body>& head, const Request& req) {
    const unsigned version = head.get().version();
    auto planned = self->api.plan_upload(req);
    if (auto* refusal = std::get_if<Response>(&planned)) {
      co_await send(stream, *refusal, version, false);
      co_return false;
    }
    const auto plan = std::get<Api::UploadPlan>(planned);
    const auto length = head.content_length();
    if (length && *length > self->options.upload_limit) {
      co_await refuse(
          self, stream,
          problem(413, "the upload is larger than " + std::to_string(self->options.upload_limit) + " bytes"),
          version);
      co_return false;
    }
    const fs::path target = fs::path(self->options.images) / plan.path;
    std::error_code fec;
    fs::create_directories(target.parent_path(), fec);
    std::string tmpl =
        (target.parent_path() / ("." + target.filename().string() + ".upload-XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
      // A folder that could not be made explains the failure better than mkstemp's ENOENT.
      const int err = fec ? fec.value() : errno;
      co_await refuse(self, stream, cannot_write_beside(plan.path, target.parent_path(), err), version);
      co_return false;
    }
    const auto fail = [&](unsigned status, const std::string& why) {
      ::close(fd);
      ::unlink(tmpl.c_str());
      return problem(status, why);
    };
    if (head.get()[http::field::expect] == "100-continue") {
      http::response<http::empty_body> cont{http::status::continue_, version};
      co_await http::async_write(stream, cont, use_awaitable);
    }
    http::request_parser<http::buffer_body> body(std::move(head));
    body.body_limit(self->options.upload_limit);
    db::Sha256 hash;
    std::uint64_t size = 0;
    std::vector<char> chunk(std::size_t{256} * 1024);
    std::optional<Response> failed;
    while (!body.is_done()) {
      body.get().body().data = chunk.data();
      body.get().body().size = chunk.size();
      boost::system::error_code ec;
      beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
      co_await http::async_read(stream, buffer, body, asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        failed = fail(ec == http::error::body_limit ? 413 : 400, "the upload ended early: " + ec.message());
        break;
      }
      const std::size_t got = chunk.size() - body.get().body().size;
      const auto* p = reinterpret_cast<const std::uint8_t*>(chunk.data());
      hash.update(std::span(p, got));
      for (std::size_t off = 0; off < got;) {
        const ssize_t w = ::write(fd, chunk.data() + off, got - off);
        if (w <= 0) {
          failed = fail(500, "cannot write the upload: " + std::string(std::strerror(errno)));
          break;
        }
        off += static_cast<std::size_t>(w);
      }
      if (failed) break;
      size += got;
    }
    if (!failed && (::fsync(fd) != 0 || ::fchmod(fd, 0644) != 0)) {
      failed = fail(500, "cannot write the upload: " + std::string(std::strerror(errno)));
    }
    if (!failed) {
      ::close(fd);
      if (::rename(tmpl.c_str(), target.c_str()) != 0) {
        ::unlink(tmpl.c_str());
        failed = problem(500, "cannot rename the upload into place: " + std::string(std::strerror(errno)));
      }
    }
    if (failed) {
      co_await refuse(self, stream, *failed, version);
      co_return false;
    }
    const std::string sha256 = hash.hex();
    spdlog::info("API: {} of image {} uploaded: {} ({} bytes, sha256 {})", plan.part, plan.image, plan.path,
                 size, sha256);
    const bool keep_alive = body.get().keep_alive();
    co_await send(stream, self->api.finish_upload(plan, size, sha256), version, keep_alive);
    co_return keep_alive;
  }
};

HttpServer::HttpServer(asio::io_context& io, HttpOptions options, Api& api)
    : impl_(std::make_shared<Impl>(io, std::move(options), api)) {
  impl_->start();
}

HttpServer::~HttpServer() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

void HttpServer::publish(const db::Event& e) {
  asio::post(impl_->io, [impl = impl_, e, text = event_text(e)] { impl->deliver(e, text); });
}

std::uint16_t HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

}  // namespace bk::api
