#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace tr::transport {

/// What went wrong on a connection or a stream; errors on the data path are values.
enum class error_code : std::uint8_t {
  none = 0,                 ///< no error
  tls_handshake_failed,     ///< the TLS handshake failed (no shared protocol, alert from the peer)
  tls_verification_failed,  ///< the peer's certificate is untrusted or not valid for the host name
  tls_error,                ///< a TLS record-layer failure after the handshake
  protocol_error,           ///< the peer sent bytes that are not valid HTTP/1.1 or HTTP/2
  header_too_large,         ///< a header block exceeded the configured limit
  body_too_large,           ///< a body exceeded the configured limit
  refused,                  ///< the peer certainly did not process the request: safe to retry
  stream_reset,             ///< the peer reset the stream; it may have processed the request
  connection_closed,        ///< the connection ended before the response was complete
  streams_exhausted,        ///< no stream identifier left: open a new connection
  busy,                     ///< at the concurrency limit (HTTP/1.1: a request is in flight)
  going_away,               ///< the connection is shutting down: no new requests on it
  unknown_stream,           ///< no such open stream (already answered, reset or never opened)
  cancelled,                ///< cancelled by the local side (timeout, shutdown)
  invalid_argument,         ///< a bad option or request given by the local side
  internal_error,           ///< a library failure (out of memory and the like)
};

/// The name of an error code, e.g. "tls_verification_failed".
const char* to_string(error_code code);

/// An error as a value: a code and a one-line reason; `if (err)` tests for failure.
class error {
 public:
  /// No error.
  error() = default;

  /// An error with a reason for logs and users.
  error(error_code code, std::string reason) : code_(code), reason_(std::move(reason)) {}

  /// True when this holds an error.
  explicit operator bool() const { return code_ != error_code::none; }

  /// The error code (`none` for success).
  error_code code() const { return code_; }

  /// The reason, e.g. "certificate verify failed: Hostname mismatch".
  const std::string& reason() const { return reason_; }

  /// True when the request can be sent again on another connection without risk of a duplicate.
  bool retryable() const { return code_ == error_code::refused; }

  /// "code: reason", for logs and test messages.
  std::string message() const;

 private:
  error_code code_ = error_code::none;
  std::string reason_;
};

/// A value or an error (std::expected is C++23; this is the small subset we need).
template <class T>
class expected {
 public:
  /// A value.
  expected(T value) : content_(std::move(value)) {}

  /// An error; must not be a success value.
  expected(error err) : content_(std::move(err)) {}

  /// True when this holds a value.
  explicit operator bool() const { return content_.index() == 0; }

  /// The value; only when this holds one.
  T& value() { return std::get<0>(content_); }
  const T& value() const { return std::get<0>(content_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; only when this holds no value.
  const error& error_value() const { return std::get<1>(content_); }

 private:
  std::variant<T, error> content_;
};

}  // namespace tr::transport
