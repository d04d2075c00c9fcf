#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "transport/connection_engine.hpp"
#include "transport/http_types.hpp"

namespace tr::transport {

/// Limits of one client connection.
struct client_options {
  std::size_t max_response_body_size = 4 << 20;  ///< larger response bodies fail the request
  std::size_t kept_response_body = 4 << 10;      ///< bytes of a body the response carries; the
                                                 ///< rest is read (up to the size above) and
                                                 ///< dropped, so an answer costs little memory
  std::size_t max_header_size = 64 << 10;        ///< larger response header blocks fail it too
  std::uint32_t max_concurrent_streams = 100;    ///< our own cap on requests in flight (HTTP/2;
                                                 ///< the peer's SETTINGS may lower it)
  std::uint32_t initial_window_size = 1 << 20;   ///< HTTP/2 per-stream receive window
  std::int32_t first_stream_id = 1;              ///< HTTP/2 first stream (odd); tests use a
                                                 ///< high one to reach stream-id exhaustion
  std::size_t http1_pipeline = 1;                ///< HTTP/1.1 requests sent ahead of their
                                                 ///< answers on one connection (1: one at a time)
};

/// The client side of one HTTP connection to a server (sans-I/O, see connection_engine), for
/// HTTP/2 (h2_client_connection) or HTTP/1.1 (h1_client_connection). The caller picks by ALPN:
/// make_client_connection().
///
/// Each submit() gets exactly one completion call: the response, or an error. Completions run
/// inside receive(), receive_eof(), cancel() and close(). Errors that say the request was
/// certainly not processed (`error::retryable()`: REFUSED_STREAM, above a GOAWAY's last stream
/// id, never sent) may be sent again on another connection.
class client_connection : public connection_engine {
 public:
  /// Sends a request (copied); fails with busy, going_away, streams_exhausted or
  /// connection_closed when this connection cannot take it now.
  virtual expected<stream_id> submit(const client_request& req, completion done) = 0;

  /// True when submit() would accept a request now.
  virtual bool can_submit() const = 0;

  /// Requests submitted and not yet completed.
  virtual std::size_t in_flight() const = 0;

  /// True when this connection takes no new requests any more (GOAWAY, stream ids exhausted,
  /// "connection: close", an error): open a new one for further requests.
  virtual bool needs_new_connection() const = 0;

  /// Abandons a request (e.g. on timeout); its completion runs at once with `cancelled`.
  /// HTTP/2 resets the stream; HTTP/1.1 has to close the connection.
  virtual void cancel(stream_id stream) = 0;

  /// Closes the connection (HTTP/2: GOAWAY first); requests in flight complete with
  /// connection_closed.
  virtual void close() = 0;

  /// The protocol this connection speaks.
  virtual http_version version() const = 0;
};

/// The client for a negotiated ALPN protocol: "h2" → HTTP/2; "http/1.1", "" (no ALPN, or plain
/// http://) → HTTP/1.1.
std::unique_ptr<client_connection> make_client_connection(std::string_view alpn,
                                                          const client_options& options);

}  // namespace tr::transport
