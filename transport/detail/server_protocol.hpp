#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "transport/detail/byte_buffer.hpp"
#include "transport/error.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/http_types.hpp"

namespace tr::transport::detail {

/// The text body of an answer the protocol layer gives by itself, before any service sees the
/// request: what was wrong, in one line.
inline std::string rejection_text(int status, const server_options& limits,
                                  std::string_view why = {}, std::size_t body_limit = 0) {
  switch (status) {
    case 413:
      if (!why.empty()) return std::string{why} + "\n";
      return "request body over the limit of " +
             std::to_string(body_limit ? body_limit : limits.max_body_size) + " bytes\n";
    case 431:
      return "request header block over the limit of " + std::to_string(limits.max_header_size) +
             " bytes\n";
    default:
      return why.empty() ? std::string{"malformed request\n"} : std::string{why} + "\n";
  }
}

/// One protocol behind http_server_connection: HTTP/2 (h2_server) or HTTP/1.1 (h1_server).
/// Both write their output into the connection's buffer.
class server_protocol {
 public:
  virtual ~server_protocol() = default;

  /// Consumes bytes from the peer; an error finishes the connection.
  virtual error receive(std::span<const std::byte> bytes) = 0;

  /// The peer closed its side.
  virtual void receive_eof() = 0;

  /// Moves output that is due into the connection's buffer.
  virtual void fill_output() = 0;

  /// Answers a request.
  virtual error respond(stream_id stream, int status, std::span<const header> headers,
                        std::span<const std::byte> body) = 0;

  /// Abandons a request.
  virtual void cancel(stream_id stream) = 0;

  /// No new requests; close once the open ones are answered.
  virtual void shutdown() = 0;

  /// True once the connection should close (after the output is written).
  virtual bool finished() const = 0;

  /// Requests received and not yet answered.
  virtual std::size_t open_requests() const = 0;

  /// See connection_engine::bulk_input().
  virtual std::size_t bulk_input() const { return 0; }

  /// See connection_engine::queued_output().
  virtual std::size_t queued_output() const { return 0; }

  /// See http_server_connection::progress().
  std::uint64_t progress() const { return progress_; }

  /// See http_server_connection::requests_seen().
  std::uint64_t requests_seen() const { return requests_seen_; }

  /// See http_server_connection::body_bytes().
  std::uint64_t body_bytes() const { return body_bytes_; }

 protected:
  std::uint64_t progress_ = 0;
  std::uint64_t requests_seen_ = 0;
  std::uint64_t body_bytes_ = 0;
};

/// The body limit of a request from its head: the options' function, capped by max_body_size.
inline std::size_t body_limit_of(const server_options& options, const request& head) {
  if (!options.body_limit) return options.max_body_size;
  std::size_t limit = options.body_limit(head);
  return limit < options.max_body_size ? limit : options.max_body_size;
}

/// Splits a request target into path and query (origin form; absolute form is handled by the
/// HTTP/1.1 side).
inline void split_target(std::string_view target, request& out) {
  out.path = target;
  out.query = {};
  if (auto mark = target.find('?'); mark != std::string_view::npos) {
    out.path = target.substr(0, mark);
    out.query = target.substr(mark + 1);
  }
}

/// A buffer whose capacity grew past `keep` bytes gives it back once it is empty, so an idle
/// connection does not hold its peak.
inline void release_if_large(byte_buffer& buffer, std::size_t keep = 64 << 10) {
  if (buffer.empty() && buffer.capacity() > keep) buffer.release();
}

/// How much of a rejected request body (413, 431) is read and dropped before the engine stops
/// the upload (HTTP/2: RST_STREAM NO_ERROR; HTTP/1.1: closing): four times that request's own
/// body limit, at least 64 KiB. Reading it first lets clients that do not expect an early answer
/// (curl 7.88 among them) see the answer instead of a reset; scaling it with the request's limit
/// keeps a caller held to a small limit (not authenticated) from making the router read far more.
inline std::size_t discard_limit(std::size_t body_limit) {
  return 4 * body_limit > 64 * 1024 ? 4 * body_limit : 64 * 1024;
}

}  // namespace tr::transport::detail
