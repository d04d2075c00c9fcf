#include "transport/h1_client_connection.hpp"

#include <http_parser.h>

#include <algorithm>
#include <string>

#include "transport/detail/http1_format.hpp"

namespace tr::transport {

// http_parser callbacks; parser->data is the connection.
struct h1_client_connection::callbacks {
  static h1_client_connection& self(http_parser* parser) {
    return *static_cast<h1_client_connection*>(parser->data);
  }

  static bool count(h1_client_connection& client, std::size_t size) {
    client.header_bytes_ += size;
    if (client.header_bytes_ <= client.options_.max_header_size) return true;
    client.limit_failure_ = {error_code::header_too_large, "response headers over the limit"};
    return false;
  }

  static int on_message_begin(http_parser* parser) {
    auto& client = self(parser);
    client.response_started_ = true;
    client.headers_.clear();
    client.body_.clear();
    client.body_size_ = 0;
    client.small_pieces_ = 0;
    client.header_bytes_ = 0;
    client.status_ = 0;
    return 0;
  }

  static int on_status(http_parser* parser, const char*, size_t size) {
    return count(self(parser), size) ? 0 : 1;
  }

  static int on_header_field(http_parser* parser, const char* data, size_t size) {
    auto& client = self(parser);
    if (!count(client, size)) return 1;
    client.headers_.append_name({data, size}, true);
    return 0;
  }

  static int on_header_value(http_parser* parser, const char* data, size_t size) {
    auto& client = self(parser);
    if (!count(client, size)) return 1;
    client.headers_.append_value({data, size});
    return 0;
  }

  static int on_headers_complete(http_parser* parser) {
    auto& client = self(parser);
    client.status_ = static_cast<int>(parser->status_code);
    client.keep_alive_ = http_should_keep_alive(parser) != 0;
    // A final answer that ends the connection: nothing more goes on it from now on.
    if (client.status_ >= 200 && !client.keep_alive_) client.done_ = true;
    // 1 tells http_parser that this response has no body.
    bool head = !client.sent_.empty() && client.sent_.front().head;
    return head && client.status_ >= 200 ? 1 : 0;
  }

  static int on_body(http_parser* parser, const char* data, size_t size) {
    auto& client = self(parser);
    if (client.body_size_ + size > client.options_.max_response_body_size) {
      client.limit_failure_ = {error_code::body_too_large, "response body over the limit"};
      return 1;
    }
    // A body in tiny chunks costs a parser callback per byte: past a few thousand small pieces
    // (a body comes in a read or a few), the answer fails.
    if (size < 1024 && ++client.small_pieces_ > h1_client_connection::max_small_pieces) {
      client.limit_failure_ = {error_code::body_too_large,
                               "response body in too many small pieces"};
      return 1;
    }
    client.body_size_ += size;
    auto kept = client.options_.kept_response_body;
    if (client.body_.size() < kept)  // the rest is read and dropped
      client.body_.append(std::span<const std::byte>{reinterpret_cast<const std::byte*>(data),
                                                     std::min(size, kept - client.body_.size())});
    return 0;
  }

  static int on_message_complete(http_parser* parser) {
    auto& client = self(parser);
    if (client.status_ < 200) return 0;  // 100 Continue and friends: the answer follows
    if (client.sent_.empty()) {
      client.limit_failure_ = {error_code::protocol_error, "a response without a request"};
      return 1;
    }
    if (!client.keep_alive_) {
      client.done_ = true;
    } else if (parser->http_major == 1 && parser->http_minor >= 1) {
      client.persistent_ = true;  // pipelining from now on
    }
    client.complete({});
    if (!client.keep_alive_) {
      // The server processes nothing sent after an answer that closes (RFC 9112 §9.6).
      client.complete_all({error_code::refused, "the server closed the connection after an "
                                                "earlier answer: not processed"},
                          "the server closed the connection after an earlier answer: not "
                          "processed");
    }
    // Cancelled or closed from inside the completion: the rest of the bytes are for no one.
    if (client.done_ && client.sent_.empty()) http_parser_pause(parser, 1);
    return 0;
  }

  static const http_parser_settings settings;
};

const http_parser_settings h1_client_connection::callbacks::settings = {
    .on_message_begin = on_message_begin,
    .on_url = nullptr,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = nullptr,
    .on_chunk_complete = nullptr,
};

h1_client_connection::h1_client_connection(const client_options& options)
    : options_(options), parser_(std::make_unique<http_parser>()) {
  http_parser_init(parser_.get(), HTTP_RESPONSE);
  parser_->data = this;
}

h1_client_connection::~h1_client_connection() = default;

bool h1_client_connection::can_submit() const {
  // One at a time until the server has shown it keeps HTTP/1.1 connections open.
  std::size_t limit = persistent_ ? std::max<std::size_t>(options_.http1_pipeline, 1) : 1;
  return !done_ && sent_.size() < limit;
}

expected<stream_id> h1_client_connection::submit(const client_request& req, completion done) {
  if (done_) return error{error_code::connection_closed, "connection no longer usable"};
  if (!can_submit()) return error{error_code::busy, "as many requests in flight as allowed"};
  detail::write_request_head(output_, req);
  output_.append(req.body);
  if (sent_.empty()) response_started_ = false;
  sent_.push_back({next_id_++, std::move(done), req.method == "HEAD"});
  return sent_.back().id;
}

error h1_client_connection::receive(std::span<const std::byte> bytes) {
  if (done_ && sent_.empty()) return {};
  std::size_t parsed = http_parser_execute(parser_.get(), &callbacks::settings,
                                           reinterpret_cast<const char*>(bytes.data()),
                                           bytes.size());
  auto code = HTTP_PARSER_ERRNO(parser_.get());
  if (code == HPE_PAUSED) return {};  // nothing left to read for (see on_message_complete)
  if (code != HPE_OK) {
    if (limit_failure_) return fail(limit_failure_);
    return fail({error_code::protocol_error, std::string{"HTTP/1.1: "} + http_errno_description(code)});
  }
  if (parsed < bytes.size() && parser_->upgrade)
    return fail({error_code::protocol_error, "the server switched protocols"});
  return {};
}

error h1_client_connection::fail(error err) {
  done_ = true;
  complete_all(err, "the connection failed before this response");
  return err;
}

void h1_client_connection::receive_eof() {
  if (!done_ || !sent_.empty()) {
    // End of file ends a response that has neither a length nor chunks.
    http_parser_execute(parser_.get(), &callbacks::settings, nullptr, 0);
  }
  done_ = true;
  if (sent_.empty()) return;
  complete_all({error_code::connection_closed,
                response_started_ ? "connection closed before the response was complete"
                                  : "connection closed before any response byte"},
               "connection closed before any response byte");
}

void h1_client_connection::cancel(stream_id stream) {
  auto it = std::find_if(sent_.begin(), sent_.end(),
                         [stream](const sent_request& r) { return r.id == stream; });
  if (it == sent_.end() || !it->done) return;
  done_ = true;  // its answer would still come: nothing more is sent on this connection
  completion done = std::move(it->done);
  it->done = nullptr;
  // Every request cancelled: no answer is worth waiting for (a hung server would otherwise
  // keep the connection open), so it closes.
  if (std::none_of(sent_.begin(), sent_.end(), [](const sent_request& r) { return r.done; }))
    sent_.clear();
  done({error_code::cancelled, "cancelled"}, response{});
}

void h1_client_connection::close() {
  done_ = true;
  complete_all({error_code::connection_closed, "connection closed locally"},
               "connection closed locally");
}

void h1_client_connection::complete_all(const error& err, const char* others) {
  // Completions may call back into this connection (submit fails: done_ is set).
  bool first = true;
  while (!sent_.empty()) {
    if (first) {
      complete(err);
      first = false;
    } else {
      complete({err.code() == error_code::refused ? error_code::refused
                                                   : error_code::connection_closed,
                others});
    }
  }
}

void h1_client_connection::complete(const error& err) {
  if (sent_.empty()) return;
  completion done = std::move(sent_.front().done);
  sent_.pop_front();
  response_started_ = false;
  response res;
  if (!err) {
    res.status = status_;
    res.headers = headers_.view();
    res.body = body_.data();
  }
  if (done) done(err, res);
}

}  // namespace tr::transport
