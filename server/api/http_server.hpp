#pragma once
// The REST API over HTTP/1.1 (Boost.Beast): reads requests with body limits, hands them to
// Api::handle(), and writes the answers. It serves two things itself, because they do not fit
// one request and one response in memory: the event stream (Server-Sent Events) and image
// uploads, which stream to a temporary file. Beast stays inside the .cpp.
#include <utility>  // before Asio: Boost 1.74 needs it with g++ 12

#if defined(__clang__) && !defined(BOOST_ASIO_HAS_CO_AWAIT)
// Boost 1.74 looks for clang's coroutines only in libc++'s <experimental/coroutine>; with
// Debian's libstdc++, C++20's <coroutine> is there (clang-tidy parses this file with clang).
#define BOOST_ASIO_HAS_CO_AWAIT 1
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "db/ipv4.hpp"
#include "db/model.hpp"
#include "server/api/api.hpp"

namespace bk::api {

struct HttpOptions {
  db::Endpoint listen;
  std::uint64_t body_limit = 1 << 20;          // 1 MiB
  std::uint64_t import_body_limit = 50 << 20;  // 50 MiB for POST /api/v1/machines/import
  std::uint64_t upload_limit = 8ULL << 30;     // image content
  std::string images;                          // the image root, for uploads
  std::size_t max_connections = 256;
  std::string tls_cert, tls_key;  // PEM files: HTTPS only when set
};

class HttpServer {
 public:
  // Binds at once; throws std::runtime_error saying what to fix when it cannot.
  HttpServer(boost::asio::io_context& io, HttpOptions options, Api& api);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Hands an event to the open event streams. Any thread.
  void publish(const db::Event& e);
  // The port it listens on (for --api-listen with port 0).
  std::uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bk::api
