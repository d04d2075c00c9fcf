#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "transport/detail/byte_buffer.hpp"
#include "transport/error.hpp"

namespace tr::transport {

/// An HTTP/2 stream identifier; on HTTP/1.1 the position of the request on its connection (1, 2, ...).
using stream_id = std::int32_t;

/// One header field; names are lower case when they come from a peer.
struct header {
  std::string_view name;   ///< field name
  std::string_view value;  ///< field value
};

/// The HTTP version a connection speaks.
enum class http_version : std::uint8_t {
  unknown,  ///< not decided yet (waiting for the first bytes or the TLS handshake)
  http1,    ///< HTTP/1.1
  http2,    ///< HTTP/2 (h2 over TLS, h2c in clear text)
};

/// A complete request received by a server. Every view is valid only during the handler call:
/// copy what an asynchronous answer needs.
struct request {
  stream_id stream = 0;                ///< the identifier to pass to respond()
  std::string_view method;             ///< e.g. "POST"
  std::string_view authority;          ///< :authority or Host
  std::string_view path;               ///< the path, without the query
  std::string_view query;              ///< the raw query after '?', not decoded; empty if none
  std::span<const header> headers;     ///< regular header fields, pseudo-headers excluded
  std::span<const std::byte> body;     ///< the whole body
  /// The engine's buffer holding `body` (null when there is none): a handler may move it out
  /// to keep the body past the call without copying it; the engine goes on with an empty one.
  detail::byte_buffer* body_storage = nullptr;
};

/// A request a client sends. The views need to live only during submit() (it copies them).
struct client_request {
  std::string_view method = "POST";    ///< e.g. "POST"
  std::string_view scheme = "https";   ///< :scheme on HTTP/2
  std::string_view authority;          ///< host[:port]; the Host header on HTTP/1.1
  std::string_view path = "/";         ///< path and query, e.g. "/uplink?LrnDevEui=..."
  std::span<const header> headers;     ///< extra header fields (content-length is added)
  std::span<const std::byte> body;     ///< the body; may be empty
};

/// A complete response received by a client. Every view is valid only during the completion call.
struct response {
  int status = 0;                      ///< e.g. 200
  std::span<const header> headers;     ///< header fields, pseudo-headers excluded
  std::span<const std::byte> body;     ///< the whole body
};

/// Called once per submitted request: with an error, or with the response when `!err`.
using completion = std::function<void(const error& err, const response& res)>;

/// The bytes of a string, as a span (no copy).
inline std::span<const std::byte> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

/// The characters of a byte span, as a string_view (no copy).
inline std::string_view as_text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

/// The standard reason phrase of a status code ("OK", "Payload Too Large", ...), "" if unknown.
std::string_view reason_phrase(int status);

}  // namespace tr::transport
