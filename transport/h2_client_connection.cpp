#include "transport/h2_client_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "transport/detail/header_store.hpp"
#include "transport/detail/http1_format.hpp"
#include "transport/detail/nghttp2_glue.hpp"

namespace tr::transport {

using detail::make_nv;
using detail::view_of;

struct h2_client_connection::stream_state {
  stream_id id = 0;
  completion done;
  detail::byte_buffer request_body;
  detail::header_store headers;
  detail::byte_buffer body;
  std::size_t header_bytes = 0;
  int status = 0;
  error failure;  // a limit we hit; reported when the stream closes
  bool in_use = false;
  bool completed = false;
};

// nghttp2 callbacks; user_data is the connection.
struct h2_client_connection::callbacks {
  static h2_client_connection& self(void* user_data) {
    return *static_cast<h2_client_connection*>(user_data);
  }

  static stream_state* state_of(nghttp2_session* session, int32_t stream) {
    auto* state = static_cast<stream_state*>(nghttp2_session_get_stream_user_data(session, stream));
    return state && state->in_use && state->id == stream ? state : nullptr;
  }

  static void abort_stream(nghttp2_session* session, stream_state& state, error err) {
    state.failure = std::move(err);
    state.body.clear();
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, state.id, NGHTTP2_CANCEL);
  }

  static int on_header(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                       size_t name_size, const uint8_t* value, size_t value_size, uint8_t,
                       void* user_data) {
    auto& client = self(user_data);
    stream_state* state = state_of(session, frame->hd.stream_id);
    if (!state || state->completed || state->failure) return 0;
    state->header_bytes += name_size + value_size;
    if (state->header_bytes > client.options_.max_header_size) {
      abort_stream(session, *state, {error_code::header_too_large, "response headers over the limit"});
      return 0;
    }
    std::string_view key = view_of(name, name_size);
    std::string_view text = view_of(value, value_size);
    if (key == ":status") {
      // A final response after 1xx ones starts over.
      state->status = 0;
      std::from_chars(text.data(), text.data() + text.size(), state->status);
      state->headers.clear();
    } else if (key.empty() || key[0] != ':') {
      state->headers.add(key, text);
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, uint8_t, int32_t stream, const uint8_t* data,
                           size_t size, void* user_data) {
    auto& client = self(user_data);
    stream_state* state = state_of(session, stream);
    if (!state || state->completed || state->failure) return 0;
    if (state->body.size() + size > client.options_.max_response_body_size) {
      abort_stream(session, *state, {error_code::body_too_large, "response body over the limit"});
      return 0;
    }
    state->body.append(std::span<const std::byte>{reinterpret_cast<const std::byte*>(data), size});
    return 0;
  }

  static int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    auto& client = self(user_data);
    switch (frame->hd.type) {
      case NGHTTP2_SETTINGS:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) client.settings_received_ = true;
        return 0;
      case NGHTTP2_GOAWAY:
        // nghttp2 then closes the streams above last_stream_id (we complete them as refused).
        client.goaway_received_ = true;
        client.goaway_last_stream_ = frame->goaway.last_stream_id;
        return 0;
      case NGHTTP2_HEADERS:
      case NGHTTP2_DATA: {
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
        stream_state* state = state_of(session, frame->hd.stream_id);
        if (state && !state->failure && state->status >= 200) client.complete(*state, {});
        return 0;
      }
      default:
        return 0;
    }
  }

  static int on_frame_not_send(nghttp2_session*, const nghttp2_frame* frame, int reason,
                               void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    // A request that never left: after a GOAWAY, or cancelled while queued.
    auto& client = self(user_data);
    for (auto& state : client.pool_) {
      if (state->in_use && state->id == frame->hd.stream_id) {
        client.complete(*state, {error_code::refused,
                                 std::string{"request not sent: "} + nghttp2_strerror(reason)});
        client.release(state.get());
        break;
      }
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session* session, int32_t stream, uint32_t code,
                             void* user_data) {
    auto& client = self(user_data);
    stream_state* state = state_of(session, stream);
    if (!state) return 0;
    if (!state->completed) {
      error err = state->failure;
      if (!err && client.goaway_received_ && stream > client.goaway_last_stream_) {
        err = {error_code::refused, "above the GOAWAY last stream id " +
                                        std::to_string(client.goaway_last_stream_)};
      } else if (!err && code == NGHTTP2_REFUSED_STREAM) {
        err = {error_code::refused, "stream refused by the server"};
      } else if (!err) {
        err = {error_code::stream_reset,
               std::string{"stream reset: "} + nghttp2_http2_strerror(code)};
      }
      client.complete(*state, err);
    }
    nghttp2_session_set_stream_user_data(session, stream, nullptr);
    client.release(state);
    return 0;
  }
};

h2_client_connection::h2_client_connection(const client_options& options) : options_(options) {
  nghttp2_session_callbacks* raw_callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&raw_callbacks) != 0) {
    failure_ = {error_code::internal_error, "cannot create nghttp2 callbacks"};
    return;
  }
  detail::callbacks_ptr owned_callbacks{raw_callbacks};
  nghttp2_session_callbacks_set_on_header_callback(raw_callbacks, callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw_callbacks, callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(raw_callbacks, callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(raw_callbacks,
                                                           callbacks::on_frame_not_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(raw_callbacks, callbacks::on_stream_close);
  // Until the server's SETTINGS arrive, nghttp2 assumes 100 concurrent streams.
  if (nghttp2_session_client_new(&session_, raw_callbacks, this) != 0) {
    session_ = nullptr;
    failure_ = {error_code::internal_error, "cannot create an nghttp2 client session"};
    return;
  }
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.initial_window_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(options_.max_header_size)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 3);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 16 << 20);
  if (options_.first_stream_id > 1) nghttp2_session_set_next_stream_id(session_, options_.first_stream_id);
}

h2_client_connection::~h2_client_connection() { nghttp2_session_del(session_); }

std::uint32_t h2_client_connection::peer_max_concurrent_streams() const {
  if (!session_) return 0;
  std::uint32_t peer =
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return settings_received_ ? peer : std::min<std::uint32_t>(peer, 100);
}

bool h2_client_connection::needs_new_connection() const {
  return closed_ || failure_ || goaway_received_ || !session_ ||
         nghttp2_session_get_next_stream_id(session_) > 0x7fffffffu;
}

bool h2_client_connection::can_submit() const {
  if (needs_new_connection()) return false;
  std::size_t limit = std::min(options_.max_concurrent_streams, peer_max_concurrent_streams());
  return active_.size() < limit;
}

expected<stream_id> h2_client_connection::submit(const client_request& req, completion done) {
  if (!can_submit()) {
    if (closed_ || failure_) return error{error_code::connection_closed, "connection closed"};
    if (goaway_received_) return error{error_code::going_away, "the server sent GOAWAY"};
    if (needs_new_connection())
      return error{error_code::streams_exhausted, "no stream id left on this connection"};
    return error{error_code::busy, "at the concurrent stream limit"};
  }
  nghttp2_nv nva[64];
  if (req.headers.size() > std::size(nva) - 5)
    return error{error_code::invalid_argument, "more than 59 header fields"};
  stream_state* state = acquire();
  state->done = std::move(done);
  state->request_body.append(req.body);
  char length_text[24];
  auto length_end = std::to_chars(length_text, length_text + sizeof length_text, req.body.size()).ptr;
  std::size_t count = 0;
  nva[count++] = make_nv(":method", req.method);
  nva[count++] = make_nv(":scheme", req.scheme);
  nva[count++] = make_nv(":authority", req.authority);
  nva[count++] = make_nv(":path", req.path.empty() ? std::string_view{"/"} : req.path);
  for (const auto& field : req.headers) {
    if (!detail::is_engine_header(field.name)) nva[count++] = make_nv(field.name, field.value);
  }
  nva[count++] = make_nv("content-length", {length_text, std::size_t(length_end - length_text)});
  nghttp2_data_provider provider{};
  provider.source.ptr = &state->request_body;
  provider.read_callback = detail::read_from_buffer;
  int32_t id = nghttp2_submit_request(session_, nullptr, nva, count,
                                      req.body.empty() ? nullptr : &provider, state);
  if (id < 0) {
    state->done = nullptr;
    release(state);
    if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE)
      return error{error_code::streams_exhausted, "no stream id left on this connection"};
    return error{error_code::internal_error, nghttp2_strerror(id)};
  }
  state->id = id;
  active_.push_back(state);
  return stream_id{id};
}

h2_client_connection::stream_state* h2_client_connection::find(stream_id stream) const {
  for (auto* state : active_) {
    if (state->id == stream) return state;
  }
  return nullptr;
}

h2_client_connection::stream_state* h2_client_connection::acquire() {
  stream_state* state = nullptr;
  if (free_.empty()) {
    pool_.push_back(std::make_unique<stream_state>());
    state = pool_.back().get();
  } else {
    state = free_.back();
    free_.pop_back();
  }
  state->id = 0;
  state->request_body.clear();
  state->headers.clear();
  state->body.clear();
  state->header_bytes = 0;
  state->status = 0;
  state->failure = {};
  state->in_use = true;
  state->completed = false;
  return state;
}

void h2_client_connection::release(stream_state* state) {
  if (!state->in_use) return;
  state->in_use = false;
  free_.push_back(state);
}

void h2_client_connection::complete(stream_state& state, const error& err) {
  if (state.completed) return;
  state.completed = true;
  if (auto it = std::find(active_.begin(), active_.end(), &state); it != active_.end()) {
    *it = active_.back();
    active_.pop_back();
  }
  completion done = std::move(state.done);
  state.done = nullptr;
  response res;
  if (!err) {
    res.status = state.status;
    res.headers = state.headers.view();
    res.body = state.body.data();
  }
  if (done) done(err, res);
}

void h2_client_connection::fail_all(error_code code, const std::string& reason) {
  while (!active_.empty()) {
    stream_state* state = active_.back();
    // A request nghttp2 never opened a stream for was never sent: safe to send again.
    bool never_sent = session_ && !nghttp2_session_find_stream(session_, state->id);
    complete(*state, never_sent ? error{error_code::refused, reason + " (request not sent)"}
                                : error{code, reason});
  }
}

void h2_client_connection::cancel(stream_id stream) {
  stream_state* state = find(stream);
  if (!state) return;
  complete(*state, {error_code::cancelled, "cancelled"});
  // The state returns to the pool when nghttp2 closes the stream (or drops its queued HEADERS).
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream, NGHTTP2_CANCEL);
}

void h2_client_connection::close() {
  if (closed_) return;
  if (session_ && !failure_) {
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
    detail::pull_frames(session_, output_);
  }
  closed_ = true;
  fail_all(error_code::connection_closed, "connection closed locally");
}

error h2_client_connection::receive(std::span<const std::byte> bytes) {
  if (failure_) return failure_;
  if (closed_) return {};
  ssize_t rc = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                        bytes.size());
  if (rc < 0) {
    failure_ = {error_code::protocol_error,
                std::string{"HTTP/2: "} + nghttp2_strerror(static_cast<int>(rc))};
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
    detail::pull_frames(session_, output_);
    fail_all(error_code::protocol_error, failure_.reason());
    return failure_;
  }
  // A GOAWAY nghttp2 queued over the server's protocol error counts as sent once taken out;
  // nghttp2 then stops reading.
  if (!detail::pull_frames(session_, output_) ||
      (!nghttp2_session_want_read(session_) && !goaway_received_)) {
    failure_ = {error_code::protocol_error, "HTTP/2 session terminated on a protocol error"};
    fail_all(error_code::protocol_error, failure_.reason());
    return failure_;
  }
  return {};
}

void h2_client_connection::receive_eof() {
  if (closed_) return;
  closed_ = true;
  fail_all(error_code::connection_closed, "connection closed by the server");
}

std::span<const std::byte> h2_client_connection::pending_output() {
  if (session_ && !closed_ && !failure_ && !detail::pull_frames(session_, output_)) {
    failure_ = {error_code::internal_error, "nghttp2 could not produce frames"};
    fail_all(error_code::internal_error, failure_.reason());
  }
  return output_.data();
}

void h2_client_connection::consume_output(std::size_t count) { output_.consume(count); }

bool h2_client_connection::wants_close() const {
  if (closed_ || failure_ || !session_) return true;
  if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) return true;
  return needs_new_connection() && active_.empty();
}

}  // namespace tr::transport
