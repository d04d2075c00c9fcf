#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
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

/// The address of a peer, without its port (IPv4 as an IPv4-mapped IPv6 address); all zero
/// when unknown.
struct peer_address {
  std::array<std::uint8_t, 16> bytes{};
  friend bool operator==(const peer_address&, const peer_address&) = default;
};

/// "192.0.2.1", "2001:db8::1" ("unknown" when all zero).
std::string to_string(const peer_address& address);

/// Where a request came from: enough to answer it later from any thread.
struct request_origin {
  transport::shard* home = nullptr;  ///< the shard driving the connection
  transport::connection_handle handle{};
  bool tls = false;
  transport::stream_id stream = 0;
  peer_address peer;  ///< the client's address
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

/// What a listener counts (any thread reads them).
struct listener_counters {
  std::atomic<std::uint64_t> open{0};       ///< connections open now
  std::atomic<std::uint64_t> refused{0};    ///< closed at accept: the cap was reached
  std::atomic<std::uint64_t> timed_out{0};  ///< closed by the header or idle timeout
  /// Requests whose service threw: each answered 500, nothing else disturbed.
  std::atomic<std::uint64_t> handler_failures{0};
  std::atomic<std::int64_t> last_log_s{0};  ///< when the cap was last logged (steady seconds)
};

/// An HTTP listener on the runtime: plain (h2c by prior knowledge or HTTP/1.1, told apart by the
/// first bytes) or TLS (ALPN h2 or http/1.1) when `tls` is given.
///
/// Guards: at most `max_connections` open at once (more are closed at accept, logged at most
/// every 10 s) and at most `max_connections_per_address` from one client address; a connection
/// whose TLS handshake and first request's header block are not done within `header_timeout` is
/// closed, and so is one where no request makes progress (a header block, a complete request, an
/// answer, or body bytes at 1 KiB/s or more on average; frames such as PING do not count) for
/// `idle_timeout` while none is waiting for its answer. A body sent slower than that holds a
/// connection for one idle timeout at most.
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
  /// Its connections follow the load (transport::load_following): placed on the first light
  /// shard, and a heavy shard beside a light one may ask some of them to end gracefully, as at
  /// their age, so that their clients reconnect onto the light shard. For clients that
  /// reconnect by themselves (an NS).
  bool follow_load = false;
  std::string name = "http";        ///< for the log: "ingress", "public", "admin"
  std::size_t max_connections = 0;  ///< 0: no cap
  /// At most this many open at once from one client address (more are closed as they open,
  /// counted in `refused`, logged at most every 10 s), so that one address cannot take the
  /// whole cap. 0: no cap per address.
  std::size_t max_connections_per_address = 0;
  std::chrono::milliseconds header_timeout{10'000};  ///< 0: none
  std::chrono::milliseconds idle_timeout{30'000};    ///< 0: none
  std::shared_ptr<listener_counters> counters;       ///< made when null
};

/// Listens; the port actually bound, or the reason it could not.
transport::listen_result listen_http(transport::runtime& runtime,
                                     const http_listener_options& options, http_service service);

}  // namespace tr::transport
