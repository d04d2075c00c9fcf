#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"
#include "transport/tls_context.hpp"

namespace tr::transport {

/// Where a request came from: enough to answer it later from any thread.
struct request_origin {
  transport::shard* home = nullptr;  ///< the shard driving the connection
  transport::connection_handle handle{};
  bool tls = false;
  transport::stream_id stream = 0;
};

/// A header field owned by an answer.
using owned_header = std::pair<std::string, std::string>;

/// Answers `origin` from any thread: posted to its shard, dropped if the connection is gone.
void respond_later(const request_origin& origin, int status, std::vector<owned_header> headers,
                   std::string body);

/// Answers on the connection's own thread (inside a handler, or a closure on its shard).
void respond_now(transport::http_server_connection& connection, transport::stream_id stream,
                 int status, std::string_view content_type, std::string_view body);

/// 405 on the connection's own thread, with the `Allow` header HTTP requires (RFC 9110 §15.5.6).
void respond_method_not_allowed(transport::http_server_connection& connection,
                                transport::stream_id stream, std::string_view allow,
                                std::string_view content_type, std::string_view body);

/// The service behind a listener: called on the shard thread with each complete request.
using http_service =
    std::function<void(const request_origin& origin, transport::http_server_connection& connection,
                       const transport::request& request)>;

/// An HTTP listener on the runtime: plain (h2c by prior knowledge or HTTP/1.1, told apart by the
/// first bytes) or TLS (ALPN h2 or http/1.1) when `tls` is given.
struct http_listener_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  transport::server_options limits;
  std::optional<transport::tls_context> tls;
  /// A connection older than this is asked to end gracefully (HTTP/2 GOAWAY: open requests
  /// finish, the client opens a new connection for the next ones; HTTP/1.1: closed after the
  /// answer owed, or at once when idle). Each connection draws its own age uniformly between
  /// 80 % and 100 % of this, so connections opened together do not end together. Zero: never.
  std::chrono::milliseconds max_connection_age{0};
};

/// Listens; the port actually bound, or the reason it could not.
transport::listen_result listen_http(transport::runtime& runtime,
                                     const http_listener_options& options, http_service service);

}  // namespace tr::transport
