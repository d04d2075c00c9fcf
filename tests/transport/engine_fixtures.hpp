#pragma once

// Shared pieces of the transport tests: an echo handler, recorded completions.

#include <string>
#include <vector>

#include "transport/http_server_connection.hpp"
#include "transport/http_types.hpp"

namespace tr::transport::testing {

/// What a completion received, copied out of the callback.
struct outcome {
  bool done = false;
  error err;
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::string header_value(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return {};
  }
};

/// A completion that records into `target`.
inline completion record_into(outcome& target) {
  return [&target](const error& err, const response& res) {
    target.done = true;
    target.err = err;
    target.status = res.status;
    target.body = std::string{as_text(res.body)};
    for (const auto& field : res.headers) target.headers.emplace_back(field.name, field.value);
  };
}

/// Answers every request at once with 200 and "METHOD path?query body".
inline void echo(http_server_connection& connection, const request& req) {
  std::string text = std::string{req.method} + " " + std::string{req.path};
  if (!req.query.empty()) text += "?" + std::string{req.query};
  if (!req.body.empty()) text += " " + std::string{as_text(req.body)};
  header fields[] = {{"content-type", "text/plain"}, {"x-echo", "yes"}};
  connection.respond(req.stream, 200, fields, text);
}

/// A request a client sends in tests.
inline client_request post(std::string_view path, std::string_view body,
                           std::string_view authority = "localhost") {
  client_request req;
  req.method = "POST";
  req.scheme = "http";
  req.authority = authority;
  req.path = path;
  req.body = as_bytes(body);
  return req;
}

}  // namespace tr::transport::testing
