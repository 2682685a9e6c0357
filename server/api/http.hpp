#pragma once
// One HTTP exchange as the API's handlers see it: plain values, no sockets and no Beast, so that
// handler tests and fuzzers call Api::handle() directly and the transport stays thin.
#include <string>
#include <utility>
#include <vector>

namespace bk::api {

struct Request {
  std::string method;         // "GET"
  std::string target;         // path and query as sent: "/api/v1/machines?limit=50"
  std::string content_type;   // the media type, lower case, without parameters
  std::string authorization;  // the Authorization header as sent
  std::string body;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Location, WWW-Authenticate...
};

}  // namespace bk::api
