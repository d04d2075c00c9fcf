#pragma once

#include <deque>
#include <memory>

#include "transport/client_connection.hpp"
#include "transport/detail/byte_buffer.hpp"
#include "transport/detail/header_store.hpp"

typedef struct http_parser http_parser;

namespace tr::transport {

/// HTTP/1.1 client over http_parser, keep-alive between requests: one request at a time, or up
/// to `client_options::http1_pipeline` sent ahead of their answers, which a server sends in the
/// order of the requests (RFC 9112 §9.3.2). A pool of these, when a server speaks only
/// HTTP/1.1, is the driver's business.
///
/// A server that closes an idle connection makes wants_close() true without any error; one that
/// closes with requests in flight completes each with connection_closed (not retryable: the
/// server may have processed it; the reason says whether any byte of its response had arrived).
/// "connection: close" in a response ends the connection after it: requests sent after that one
/// fail with `refused` (not processed: retryable) when the connection ends. A cancelled request
/// completes at once; its answer is still read (and dropped) while requests not cancelled wait
/// behind it, and no request is sent after it; once every request on it is cancelled, the
/// connection closes.
class h1_client_connection final : public client_connection {
 public:
  explicit h1_client_connection(const client_options& options);
  ~h1_client_connection() override;

  expected<stream_id> submit(const client_request& req, completion done) override;
  bool can_submit() const override;
  std::size_t in_flight() const override { return sent_.size(); }
  bool needs_new_connection() const override { return done_; }
  void cancel(stream_id stream) override;
  void close() override;
  http_version version() const override { return http_version::http1; }

  error receive(std::span<const std::byte> bytes) override;
  void receive_eof() override;
  std::span<const std::byte> pending_output() override { return output_.data(); }
  void consume_output(std::size_t count) override { output_.consume(count); }
  bool wants_close() const override { return done_ && sent_.empty(); }

  struct callbacks;

 private:
  struct sent_request {
    stream_id id;
    completion done;  ///< empty once cancelled: its answer is read and dropped
    bool head;        ///< the answer to HEAD has no body
  };

  void complete(const error& err);
  /// Completes every request still waiting for its answer with `err` (the first one as it
  /// is, the others with `others` as the reason, as connection_closed unless `err` is refused).
  void complete_all(const error& err, const char* others);
  error fail(error err);

  client_options options_;
  std::unique_ptr<http_parser> parser_;
  detail::byte_buffer output_;
  detail::header_store headers_;
  detail::byte_buffer body_;      // its first kept_response_body bytes
  std::size_t body_size_ = 0;     // every byte of the body read
  std::size_t small_pieces_ = 0;  // pieces of the body under 1 KiB (see on_body)
  static constexpr std::size_t max_small_pieces = 4096;
  std::deque<sent_request> sent_;  // in the order sent: the front's answer is being read
  std::size_t header_bytes_ = 0;
  stream_id next_id_ = 1;
  int status_ = 0;
  error limit_failure_;  // a response limit we hit
  bool response_started_ = false;
  bool persistent_ = false;  // an HTTP/1.1 answer kept the connection open: pipelining allowed
  bool keep_alive_ = true;
  bool done_ = false;  // no further requests on this connection
};

}  // namespace tr::transport
