#pragma once

#include <memory>
#include <string>
#include <vector>

#include "transport/detail/header_store.hpp"
#include "transport/detail/http1_format.hpp"
#include "transport/detail/nghttp2_glue.hpp"
#include "transport/detail/server_protocol.hpp"
#include "transport/http_server_connection.hpp"

namespace tr::transport::detail {

/// HTTP/2 server side through an nghttp2 server session. Stream states (request headers, body,
/// response body) live in a pool that grows to the peak number of open streams and is reused.
///
/// A request's body limit is decided when its header block is complete (body_limit_of); the bodies
/// held at once on the connection are bounded by max_buffered_body. A body is dropped once its
/// request has been handed to the handler, and a large buffer or a pool grown by a burst is given
/// back when its stream ends, so an idle connection holds little.
///
/// A request is dispatched when its END_STREAM arrives. A body over the limit is answered with
/// 413 at once and the rest of it is read and dropped; past discard_limit() the stream is reset
/// with NO_ERROR (RFC 9113 §8.1), and a ninth stream reset so ends the connection. A header block
/// over the limit gets 431 the same way; one that decodes to more than four times the limit, or a
/// ninth oversized block, ends the connection without decoding the rest.
class h2_server final : public server_protocol {
 public:
  h2_server(const server_options& options, request_handler& handler,
            http_server_connection& connection, byte_buffer& output);
  ~h2_server() override;

  error receive(std::span<const std::byte> bytes) override;
  void receive_eof() override;
  void fill_output() override;
  error respond(stream_id stream, int status, std::span<const header> headers,
                std::span<const std::byte> body) override;
  void cancel(stream_id stream) override;
  void shutdown() override;
  bool finished() const override;
  std::size_t open_requests() const override { return open_requests_; }
  /// The frames in the session's outbound queue (each counted as queued_frame_bytes: HEADERS
  /// of an answer, a RST_STREAM for a refused stream) and the answer bodies of streams not yet
  /// closed.
  std::size_t queued_output() const override;
  static constexpr std::size_t queued_frame_bytes = 128;

  struct stream_state {
    stream_id id = 0;
    std::string method;
    std::string authority;
    std::string path;  // with the query
    header_store headers;
    byte_buffer body;
    byte_buffer response_body;
    std::size_t header_bytes = 0;
    std::size_t discarded = 0;   // body bytes dropped after a rejection
    std::size_t body_limit = 0;  // decided from the header block
    bool request_complete = false;
    bool rejected = false;  // answered by the engine (413, 431)
    bool responded = false;
    bool reset_sent = false;       // the stream was (or will be) reset to stop a long body
    bool reset_wanted = false;     // ... once its answer has gone out in full
    bool answer_sent = false;      // the answer's last frame (END_STREAM) went out
    std::size_t answer_bytes = 0;  // the answer body's size, counted in answer_bytes_
  };

 private:
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                       const uint8_t*, size_t, uint8_t, void*);
  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_stream_close(nghttp2_session*, int32_t, uint32_t, void*);
  static int on_frame_send(nghttp2_session*, const nghttp2_frame*, void*);

  stream_state* find(stream_id stream) const;
  stream_state* acquire(stream_id stream);
  void release(stream_state* state);
  void dispatch(stream_state& state);
  void reject(stream_state& state, int status, std::string_view why = {});
  void fill_head(stream_state& state, request& out);
  error submit(stream_state& state, int status, std::span<const header> headers,
               std::span<const std::byte> body);
  void fail();

  const server_options& options_;
  request_handler& handler_;
  http_server_connection& connection_;
  byte_buffer& output_;
  session_ptr session_;
  std::vector<std::unique_ptr<stream_state>> pool_;
  std::vector<stream_state*> free_;
  std::vector<nghttp2_nv> nva_;
  std::size_t open_requests_ = 0;
  std::size_t buffered_ = 0;          // bytes in the bodies of requests not yet dispatched
  std::size_t oversized_blocks_ = 0;  // header blocks answered with 431
  static constexpr std::size_t max_oversized_blocks = 8;
  const char* ended_because_ = nullptr;  // why a callback ended the connection
  std::size_t overrun_streams_ = 0;      // streams reset for a body far over its limit
  std::size_t answer_bytes_ = 0;         // answer bodies of streams not yet closed
  static constexpr std::size_t max_overrun_streams = 8;
  bool failed_ = false;            // the peer broke the protocol; GOAWAY queued
  bool broken_ = false;            // nghttp2 cannot produce output any more
  bool goaway_exchanged_ = false;  // sent or received: the session ends without error
  bool eof_ = false;
};

}  // namespace tr::transport::detail
