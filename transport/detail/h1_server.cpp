#include "transport/detail/h1_server.hpp"

#include <algorithm>
#include <climits>

namespace tr::transport::detail {

namespace {

/// An RFC 9110 token: the grammar of a field name (http_parser lets spaces and more through).
bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    bool alnum = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
    if (!alnum && std::string_view{"!#$%&'*+-.^_`|~"}.find(c) == std::string_view::npos)
      return false;
  }
  return true;
}

h1_server* self(http_parser* parser) {
  return static_cast<h1_server*>(parser->data);
}

std::span<const std::byte> bytes_of(const char* data, size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

const http_parser_settings h1_server::settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_status = nullptr,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = nullptr,
    .on_chunk_complete = nullptr,
};

h1_server::h1_server(const server_options& options, request_handler& handler,
                     http_server_connection& connection, byte_buffer& output)
    : options_(options), handler_(handler), connection_(connection), output_(output) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  body_limit_ = options_.max_body_size;
  slots_.resize(std::max<std::uint32_t>(options_.max_concurrent_streams, 1));
}

error h1_server::receive(std::span<const std::byte> bytes) {
  if (closed_ || (stopped_ && !discarding())) return {};  // after an error, close or shutdown
  if (paused_) {
    stash_.append(bytes);
    // Bounded by the limits of the request that paused the parser (small for a caller that is
    // not authenticated).
    if (stash_.size() > 2 * (options_.max_header_size + body_limit_)) {
      closed_ = true;
      return {error_code::protocol_error, "too much pipelined input"};
    }
    return {};
  }
  return parse(bytes);
}

error h1_server::parse(std::span<const std::byte> bytes) {
  auto* data = reinterpret_cast<const char*>(bytes.data());
  std::size_t done = 0;
  // The framing check reads ahead of http_parser, to the end of the body at most.
  if (framing_active_) {
    if (auto err = check_framing(bytes)) return err;
  }
  while (done < bytes.size()) {
    in_parser_ = true;
    std::size_t parsed = http_parser_execute(&parser_, &settings, data + done, bytes.size() - done);
    in_parser_ = false;
    done += parsed;
    auto code = HTTP_PARSER_ERRNO(&parser_);
    if (code == HPE_PAUSED && framing_pause_) {
      // Paused on the last byte of a chunked request's head: its body starts after it.
      framing_pause_ = false;
      http_parser_pause(&parser_, 0);
      framing_.reset();
      framing_active_ = true;
      if (auto err = check_framing(bytes.subspan(done + 1))) return err;
      continue;
    }
    if (code == HPE_PAUSED) {
      if (!stopped_) {
        paused_ = true;
        stash_.append(bytes.subspan(done));
      }
      return {};
    }
    if (code != HPE_OK) {
      if (refused_because_) return fail(400, {error_code::protocol_error, refused_because_});
      if (header_too_large_)
        return fail(431, {error_code::header_too_large, "request header block over the limit"});
      if (discard_exceeded_) {
        closed_ = true;
        return {error_code::body_too_large, "request body far over the limit"};
      }
      return fail(400, {error_code::protocol_error,
                        std::string{"HTTP/1.1: "} + http_errno_description(code)});
    }
    if (!parser_.upgrade) break;
    // An Upgrade (h2c, websocket) we do not perform: keep reading HTTP/1.1 after it.
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
  }
  return {};
}

error h1_server::fail(int status, error err) {
  stopped_ = true;
  slot* target = current_ ? find_slot(current_) : nullptr;
  if (!target) target = count_ < slots_.size() ? &reserve_slot() : nullptr;
  if (!target) {
    closed_ = true;
    return err;
  }
  target->close_after = true;
  // The request line may be all that was read: a HEAD gets no body even here.
  if (parser_.method == HTTP_HEAD) target->head_request = true;
  if (!target->answered) answer_rejection(*target, status, err.message());
  return err;
}

error h1_server::check_framing(std::span<const std::byte> bytes) {
  framing_.feed(bytes);
  if (framing_.done()) framing_active_ = false;
  if (!framing_.failed()) return {};
  framing_active_ = false;
  error err{error_code::protocol_error,
            "malformed chunked body: a chunk size line, chunk data and the trailer section must "
            "each end with CR LF"};
  if (rejected_) {  // answered 413 already; nothing more is read
    closed_ = true;
    return err;
  }
  return fail(400, std::move(err));
}

bool h1_server::count_header_bytes(std::size_t size) {
  header_bytes_ += size;
  if (header_bytes_ <= options_.max_header_size) return true;
  header_too_large_ = true;
  return false;
}

int h1_server::on_message_begin(http_parser* parser) {
  auto& server = *self(parser);
  server.url_.clear();
  server.headers_.clear();
  server.body_.clear();
  server.header_bytes_ = server.discarded_ = 0;
  server.body_limit_ = server.options_.max_body_size;
  server.current_ = 0;
  server.in_message_ = true;
  server.rejected_ = server.expects_continue_ = false;
  return 0;
}

int h1_server::on_url(http_parser* parser, const char* data, size_t size) {
  auto& server = *self(parser);
  if (!server.count_header_bytes(size)) return 1;
  server.url_.append(data, size);
  return 0;
}

int h1_server::on_header_field(http_parser* parser, const char* data, size_t size) {
  auto& server = *self(parser);
  if (!server.count_header_bytes(size)) return 1;
  server.headers_.append_name({data, size}, true);
  return 0;
}

int h1_server::on_header_value(http_parser* parser, const char* data, size_t size) {
  auto& server = *self(parser);
  if (!server.count_header_bytes(size)) return 1;
  server.headers_.append_value({data, size});
  return 0;
}

int h1_server::on_headers_complete(http_parser* parser) {
  auto& server = *self(parser);
  slot& target = server.reserve_slot();
  server.current_ = target.id;
  target.head_request = parser->method == HTTP_HEAD;
  target.close_after = !http_should_keep_alive(parser);
  bool has_host = false;
  for (const auto& field : server.headers_.view()) {
    if (!is_field_name(field.name)) {
      server.refused_because_ = "a header field name must be a token (RFC 9110 §5.1)";
      return -1;
    }
    has_host = has_host || field.name == "host";
    if (field.name == "expect" && equals_ignoring_case(field.value, "100-continue"))
      server.expects_continue_ = true;
    if (field.name == "transfer-encoding" && !equals_ignoring_case(field.value, "chunked")) {
      server.refused_because_ = "Transfer-Encoding must be exactly 'chunked'";
      return -1;
    }
  }
  if (!has_host && parser->http_major == 1 && parser->http_minor >= 1) {
    server.refused_because_ = "an HTTP/1.1 request needs a Host header (RFC 9112 §3.2)";
    return -1;
  }
  ++server.progress_;
  ++server.requests_seen_;
  request head;
  server.fill_head(head);
  server.body_limit_ = body_limit_of(server.options_, head);
  bool declared_too_large =
      (parser->flags & F_CONTENTLENGTH) && parser->content_length > server.body_limit_;
  if (declared_too_large) {
    server.rejected_ = true;
    target.close_after = true;
    server.answer_rejection(target, 413);
    // A client waiting for "100 Continue" sends no body: stop here.
    if (server.expects_continue_) {
      server.stopped_ = true;
      http_parser_pause(parser, 1);
    }
    return 0;
  }
  // A body of announced length is received into a buffer of that size, not grown step by step.
  if (parser->flags & F_CONTENTLENGTH) server.body_.reserve(parser->content_length);
  // Only the first request in line may be told to go on; later ones send their body anyway
  // after a client-side timeout.
  if (server.expects_continue_ && target.id == server.head_id_)
    server.output_.append(continue_line);
  if (parser->flags & F_CHUNKED) {
    // Pause on the head's last byte, so that parse() knows where the body starts.
    server.framing_pause_ = true;
    http_parser_pause(parser, 1);
  }
  return 0;
}

int h1_server::on_body(http_parser* parser, const char* data, size_t size) {
  auto& server = *self(parser);
  if (server.rejected_) {
    server.discarded_ += size;
    if (server.discarded_ <= discard_limit(server.body_limit_)) return 0;
    server.discard_exceeded_ = true;
    return 1;
  }
  server.body_bytes_ += size;
  if (server.body_.size() + size > server.body_limit_) {
    server.rejected_ = true;
    server.body_.clear();
    if (slot* target = server.find_slot(server.current_)) {
      target->close_after = true;
      server.answer_rejection(*target, 413);
    }
    return 0;
  }
  server.body_.append(bytes_of(data, size));
  return 0;
}

int h1_server::on_message_complete(http_parser* parser) {
  auto& server = *self(parser);
  if (server.framing_active_) {
    // http_parser saw the body end where the framing check did not: refuse, never guess.
    server.framing_active_ = false;
    server.refused_because_ = "malformed chunked body";
    return -1;
  }
  server.in_message_ = false;
  bool close_after = true;
  if (slot* target = server.find_slot(server.current_)) close_after = target->close_after;
  if (server.rejected_) {
    server.stopped_ = true;
  } else {
    server.dispatch();
    if (close_after) server.stopped_ = true;
  }
  server.current_ = 0;
  if (server.stopped_ || server.count_ == server.slots_.size()) http_parser_pause(parser, 1);
  return 0;
}

void h1_server::dispatch() {
  ++unanswered_;
  if (slot* target = find_slot(current_)) target->dispatched = true;
  request req;
  fill_head(req);
  req.body = body_.data();
  req.body_storage = &body_;
  handler_(connection_, req);
  // The handler has copied what it keeps (the views are valid only during the call).
  body_.clear();
  release_if_large(body_);
}

void h1_server::fill_head(request& req) {
  std::string_view target = url_;
  std::string_view path = target;
  std::string_view query;
  if (!target.empty() && target[0] != '/') {
    // Absolute form ("http://host/path?query"), as sent to proxies.
    http_parser_url parts;
    http_parser_url_init(&parts);
    if (http_parser_parse_url(target.data(), target.size(), 0, &parts) == 0) {
      path = (parts.field_set & (1 << UF_PATH))
                 ? target.substr(parts.field_data[UF_PATH].off, parts.field_data[UF_PATH].len)
                 : std::string_view{"/"};
      if (parts.field_set & (1 << UF_QUERY))
        query = target.substr(parts.field_data[UF_QUERY].off, parts.field_data[UF_QUERY].len);
    }
  } else if (auto mark = target.find('?'); mark != std::string_view::npos) {
    path = target.substr(0, mark);
    query = target.substr(mark + 1);
  }
  req.stream = current_;
  req.method = http_method_str(static_cast<http_method>(parser_.method));
  req.path = path;
  req.query = query;
  req.headers = headers_.view();
  for (const auto& field : req.headers) {
    if (field.name == "host") req.authority = field.value;
  }
}

h1_server::slot& h1_server::reserve_slot() {
  slot& target = slots_[(head_ + count_) % slots_.size()];
  ++count_;
  target.id = next_id_++;
  target.dispatched = target.answered = target.close_after = target.head_request = false;
  target.bytes.clear();
  return target;
}

h1_server::slot* h1_server::find_slot(stream_id stream) {
  if (stream < head_id_ || stream >= head_id_ + static_cast<stream_id>(count_)) return nullptr;
  return &slots_[(head_ + static_cast<std::size_t>(stream - head_id_)) % slots_.size()];
}

error h1_server::respond(stream_id stream, int status, std::span<const header> headers,
                         std::span<const std::byte> body) {
  slot* target = find_slot(stream);
  if (closed_ || !target || !target->dispatched || target->answered)
    return {error_code::unknown_stream, "no open request " + std::to_string(stream)};
  --unanswered_;
  ++progress_;
  answer(*target, status, headers, body);
  resume();
  return {};
}

void h1_server::answer_rejection(slot& target, int status, std::string_view why) {
  std::string text = rejection_text(status, options_, why, body_limit_);
  if (options_.on_refusal)
    options_.on_refusal(status, std::string_view{text}.substr(0, text.size() - 1));
  header fields[] = {{"content-type", "text/plain"}};
  answer(target, status, fields, as_bytes(text));
}

void h1_server::answer(slot& target, int status, std::span<const header> headers,
                       std::span<const std::byte> body) {
  target.answered = true;
  bool last = target.id == head_id_ + static_cast<stream_id>(count_) - 1;
  bool close = target.close_after || (stopped_ && last && !in_message_);
  target.close_after = close;
  // The head of the line goes straight out; a later answer waits in its slot.
  byte_buffer& out = target.id == head_id_ ? output_ : target.bytes;
  write_response_head(out, status, headers, body.size(), close);
  if (!target.head_request) out.append(body);
  flush_ready();
}

void h1_server::flush_ready() {
  while (count_ > 0 && slots_[head_].answered) {
    slot& done = slots_[head_];
    output_.append(done.bytes.data());
    done.bytes.clear();
    if (done.close_after) stopped_ = true;
    head_ = (head_ + 1) % slots_.size();
    --count_;
    ++head_id_;
  }
}

void h1_server::resume() {
  if (!paused_ || stopped_ || in_parser_ || count_ == slots_.size()) return;
  paused_ = false;
  http_parser_pause(&parser_, 0);
  std::swap(stash_, resume_);
  stash_.clear();
  if (!resume_.empty()) parse(resume_.data());
  resume_.clear();
  release_if_large(resume_);
}

void h1_server::receive_eof() {
  stopped_ = true;
  // A request cut short gets no answer; nothing later waits for it.
  if (in_message_ && current_) {
    if (slot* target = find_slot(current_); target && !target->answered) {
      target->answered = true;
      target->bytes.clear();
      flush_ready();
    }
  }
  in_message_ = false;
  current_ = 0;
}

void h1_server::cancel(stream_id) {
  closed_ = true;
}

void h1_server::shutdown() {
  stopped_ = true;
  // Tell the client on the last answer still owed, or close at once when none is.
  if (count_ > 0) {
    slot& last = slots_[(head_ + count_ - 1) % slots_.size()];
    last.close_after = true;
  }
}

bool h1_server::discarding() const {
  return rejected_ && in_message_ && !expects_continue_;
}

std::size_t h1_server::bulk_input() const {
  // Within a body of announced length that is taken (not refused, not chunked), with parsing
  // running: http_parser's content_length is what is left of it.
  if (closed_ || stopped_ || paused_ || !in_message_ || current_ == 0 || rejected_ ||
      framing_active_ || !(parser_.flags & F_CONTENTLENGTH) || parser_.content_length == ULLONG_MAX)
    return 0;
  return static_cast<std::size_t>(parser_.content_length);
}

bool h1_server::finished() const {
  // After a 413 the rest of the body is read and dropped first, so that closing does not reset
  // the connection under the client before it has read the answer.
  return closed_ || (stopped_ && count_ == 0 && !discarding());
}

}  // namespace tr::transport::detail
