#pragma once

#include <http_parser.h>

#include <string>
#include <vector>

#include "transport/detail/chunked_framing.hpp"
#include "transport/detail/header_store.hpp"
#include "transport/detail/http1_format.hpp"
#include "transport/detail/server_protocol.hpp"
#include "transport/http_server_connection.hpp"

namespace tr::transport::detail {

/// HTTP/1.1 server side through http_parser, with keep-alive and pipelining.
///
/// A request's body limit is decided when its headers are complete (body_limit_of); its body
/// buffer is given back after the handler saw it when it grew large.
///
/// Each request takes a slot in a ring of `max_concurrent_streams` slots when its headers are
/// complete; slots are answered in any order but written in request order (an early answer waits
/// in its slot's buffer). When every slot is taken, parsing pauses and further input is kept
/// until an answer frees a slot. A Transfer-Encoding other than exactly `chunked` (the only
/// coding taken; also what a folded or listed field becomes) gets 400, so that no two parsers
/// can disagree on where the body ends; for the same reason a chunked body's framing is checked
/// strictly beside http_parser (chunked_framing), and a broken one gets 400. A body over the limit is answered with 413 (the rest of it is
/// read and dropped, up to four times the limit) and the connection then closes; a header block
/// over the limit gets 431 and malformed input 400, both closing the connection after the
/// answers owed to earlier requests.
class h1_server final : public server_protocol {
 public:
  h1_server(const server_options& options, request_handler& handler,
            http_server_connection& connection, byte_buffer& output);

  error receive(std::span<const std::byte> bytes) override;
  void receive_eof() override;
  void fill_output() override {}
  error respond(stream_id stream, int status, std::span<const header> headers,
                std::span<const std::byte> body) override;
  void cancel(stream_id stream) override;
  void shutdown() override;
  bool finished() const override;
  std::size_t open_requests() const override { return unanswered_; }
  std::size_t bulk_input() const override;

 private:
  struct slot {
    stream_id id = 0;
    bool dispatched = false;  // handed to the handler
    bool answered = false;
    bool close_after = false;   // the client asked to close, or we decided to
    bool head_request = false;  // HEAD: no body in the answer
    byte_buffer bytes;          // an answer waiting for earlier ones
  };

  static int on_message_begin(http_parser* parser);
  static int on_url(http_parser* parser, const char* data, size_t size);
  static int on_header_field(http_parser* parser, const char* data, size_t size);
  static int on_header_value(http_parser* parser, const char* data, size_t size);
  static int on_headers_complete(http_parser* parser);
  static int on_body(http_parser* parser, const char* data, size_t size);
  static int on_message_complete(http_parser* parser);
  static const http_parser_settings settings;

  error parse(std::span<const std::byte> bytes);
  error fail(int status, error err);
  /// Feeds the chunked body being read to framing_; 400 when its framing is broken.
  error check_framing(std::span<const std::byte> bytes);
  bool count_header_bytes(std::size_t size);
  slot& reserve_slot();
  slot* find_slot(stream_id stream);
  void answer(slot& target, int status, std::span<const header> headers,
              std::span<const std::byte> body);
  /// An answer of the protocol layer itself (413, 431, 400): a one-line text body.
  void answer_rejection(slot& target, int status, std::string_view why = {});
  void flush_ready();
  void resume();
  void dispatch();
  void fill_head(request& out);
  bool discarding() const;

  const server_options& options_;
  request_handler& handler_;
  http_server_connection& connection_;
  byte_buffer& output_;
  http_parser parser_{};

  // The request being parsed.
  std::string url_;
  header_store headers_;
  byte_buffer body_;
  std::size_t header_bytes_ = 0;
  std::size_t discarded_ = 0;
  std::size_t body_limit_ = 0;  // decided from the head (max_body_size until then)
  stream_id current_ = 0;  // its slot, 0 before its headers are complete
  bool in_message_ = false;
  bool rejected_ = false;  // answered 413; its body is being dropped
  bool expects_continue_ = false;
  bool header_too_large_ = false;
  const char* refused_because_ = nullptr;  // why the head was refused (400), if it was
  bool discard_exceeded_ = false;
  chunked_framing framing_;
  bool framing_active_ = false;  // a chunked body is being read: framing_ checks it
  bool framing_pause_ = false;   // paused at the end of a chunked request's head

  // Answers in request order.
  std::vector<slot> slots_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  stream_id head_id_ = 1;
  stream_id next_id_ = 1;
  std::size_t unanswered_ = 0;

  byte_buffer stash_;   // input kept while parsing is paused
  byte_buffer resume_;  // the stash being parsed on resume
  bool paused_ = false;
  bool in_parser_ = false;
  bool stopped_ = false;  // no more requests: shutdown, error, EOF or "connection: close"
  bool closed_ = false;   // close now, whatever is owed
};

}  // namespace tr::transport::detail
