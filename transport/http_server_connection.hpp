#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "transport/connection_engine.hpp"
#include "transport/detail/byte_buffer.hpp"
#include "transport/http_types.hpp"

namespace tr::transport {

namespace detail {
class server_protocol;
}

/// The body limit of one request, decided from its head (method, path, query, headers; no body)
/// before any byte of its body is read: e.g. a small limit until the caller is authenticated.
using body_limit_function = std::function<std::size_t(const request& head)>;

/// Limits of one server connection; what exceeds them is answered, never a crash.
struct server_options {
  std::size_t max_body_size = 1 << 20;     ///< larger request bodies get 413
  std::size_t max_header_size = 16 << 10;  ///< larger header blocks (names, values, URL) get 431
  std::uint32_t max_concurrent_streams = 256;     ///< HTTP/2: SETTINGS_MAX_CONCURRENT_STREAMS;
                                                  ///< HTTP/1.1: pipelined requests awaiting answers
  std::uint32_t initial_window_size = 256 << 10;  ///< HTTP/2 per-stream receive window
  std::uint32_t connection_window_size = 4 << 20;  ///< HTTP/2 connection receive window
  body_limit_function body_limit;     ///< per request (at most max_body_size); empty: max_body_size
  std::size_t max_buffered_body = 0;  ///< HTTP/2: request bodies held at once on a connection
                                      ///< (more gets 413); 0: twice max_body_size
  /// The engine itself answered (413, 431, 400), with the answer's one-line reason.
  std::function<void(int status, std::string_view why)> on_refusal;
};

/// How the server connection tells HTTP/2 from HTTP/1.1.
enum class server_protocol_choice : std::uint8_t {
  detect,  ///< by the first bytes: the HTTP/2 client preface, or else HTTP/1.1
  http1,   ///< HTTP/1.1 (ALPN "http/1.1")
  http2,   ///< HTTP/2 (ALPN "h2")
};

/// The choice for a negotiated ALPN protocol: "h2", "http/1.1", or "" (no ALPN: detect).
server_protocol_choice protocol_for_alpn(std::string_view alpn);

class http_server_connection;

/// Called with each complete request. Answer now or later with connection.respond().
using request_handler = std::function<void(http_server_connection& connection, const request& req)>;

/// The server side of one HTTP connection (sans-I/O, see connection_engine): HTTP/2 through an
/// nghttp2 server session or HTTP/1.1 through http_parser (keep-alive; pipelined requests are
/// answered in order). Requests reach the handler complete; answers may come in any order and at
/// any later time. Limits are answered by the engine itself (413, 431; 400 or GOAWAY on malformed
/// input, then the connection closes).
///
/// Memory: buffers (input, per-stream headers and bodies, output) are kept and reused, so a
/// connection stops allocating once it has seen its peak concurrency. What remains per request:
/// nghttp2's own per-stream and per-frame allocations and the header copies it makes on submit.
class http_server_connection final : public connection_engine {
 public:
  http_server_connection(const server_options& options, request_handler handler,
                         server_protocol_choice protocol = server_protocol_choice::detect);
  ~http_server_connection() override;

  /// Answers request `stream` (content-length is added; do not pass it). Fails with
  /// unknown_stream when the stream is gone (reset by the peer, connection closed, answered).
  /// Called outside the handler, an HTTP/1.1 answer may resume parsing and call the handler
  /// with the next pipelined request before it returns.
  error respond(stream_id stream, int status, std::span<const header> headers,
                std::span<const std::byte> body);

  /// respond() with a text body.
  error respond(stream_id stream, int status, std::span<const header> headers,
                std::string_view body) {
    return respond(stream, status, headers, as_bytes(body));
  }

  /// Abandons a request (e.g. on timeout): HTTP/2 resets the stream; HTTP/1.1 cannot skip an
  /// answer and closes the connection.
  void cancel(stream_id stream);

  /// Graceful end: no new requests (HTTP/2 GOAWAY), open ones may still be answered; then
  /// wants_close().
  void shutdown();

  /// Immediate end: abandons open requests (HTTP/2 GOAWAY first); wants_close() at once.
  void close();

  /// The protocol spoken; unknown until the first bytes (or the ALPN choice) decide.
  http_version version() const;

  /// Requests received and not yet answered.
  std::size_t open_requests() const;

  /// Grows whenever a request makes progress (its headers complete, it is complete, an
  /// answer): what an idle or header timeout watches. Frames without requests (PING, SETTINGS),
  /// header bytes that do not complete a block and body bytes do not count (see body_bytes()).
  std::uint64_t progress() const;

  /// Request body bytes received (those kept, not those dropped after a refusal): a timeout
  /// counts them as progress only at a minimum rate, so that a body sent a byte at a time does
  /// not hold the connection.
  std::uint64_t body_bytes() const;

  /// Requests whose headers were complete (answered or not).
  std::uint64_t requests_seen() const;

  error receive(std::span<const std::byte> bytes) override;
  void receive_eof() override;
  std::span<const std::byte> pending_output() override;
  void consume_output(std::size_t count) override;
  bool wants_close() const override;
  /// HTTP/1.1: what is left of a body of announced length being received; HTTP/2: 0.
  std::size_t bulk_input() const override;
  /// HTTP/2: the frames and answer bodies queued in the session; HTTP/1.1: 0 (it answers in
  /// order into the output buffer, which the driver sees whole).
  std::size_t queued_output() const override;

 private:
  error start(server_protocol_choice protocol);

  server_options options_;
  request_handler handler_;
  std::unique_ptr<detail::server_protocol> protocol_;
  detail::byte_buffer output_;
  http_version version_ = http_version::unknown;
  std::size_t preface_matched_ = 0;  // bytes of the HTTP/2 preface seen while detecting
  error failure_;
  bool shutdown_requested_ = false;
  bool closed_ = false;
};

}  // namespace tr::transport
