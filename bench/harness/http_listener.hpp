#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "transport/http_server_connection.hpp"
#include "transport/runtime/runtime.hpp"
#include "transport/tls_context.hpp"

namespace tr::harness {

/// Where a request came from, to answer it later on the same shard (a timer).
struct request_origin {
  transport::shard* home = nullptr;
  transport::connection_handle handle{};
  bool tls = false;
  transport::stream_id stream = 0;
};

/// Called on the shard thread with each complete request.
using request_service = std::function<void(const request_origin& origin,
                                           transport::http_server_connection& connection,
                                           const transport::request& request)>;

/// Listens on host:port over `runtime`: TLS (ALPN h2 or http/1.1) when `tls` is given, else h2c
/// by prior knowledge or HTTP/1.1. The harness keeps its own small listener rather than the
/// router's app/http_server so the router binary can link the harness (for its demo) without a
/// dependency cycle.
transport::listen_result listen_http(transport::runtime& runtime, const std::string& host, std::uint16_t port,
                                     const transport::server_options& limits,
                                     std::optional<transport::tls_context> tls, request_service service);

/// Answers `origin` on its own shard's thread (from a timer); dropped when the connection is gone.
void respond_on_shard(const request_origin& origin, int status, std::string_view content_type,
                      std::string_view body);

}  // namespace tr::harness
