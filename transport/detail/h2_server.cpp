#include "transport/detail/h2_server.hpp"

#include <charconv>

#include "transport/detail/state_pool.hpp"

namespace tr::transport::detail {

namespace {

h2_server& self(void* user_data) {
  return *static_cast<h2_server*>(user_data);
}

callbacks_ptr make_callbacks(nghttp2_on_begin_headers_callback begin_headers,
                             nghttp2_on_header_callback header,
                             nghttp2_on_data_chunk_recv_callback data_chunk,
                             nghttp2_on_frame_recv_callback frame_recv,
                             nghttp2_on_stream_close_callback stream_close,
                             nghttp2_on_frame_send_callback frame_send) {
  nghttp2_session_callbacks* raw = nullptr;
  if (nghttp2_session_callbacks_new(&raw) != 0) return nullptr;
  callbacks_ptr callbacks{raw};
  nghttp2_session_callbacks_set_on_begin_headers_callback(raw, begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(raw, header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw, data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(raw, frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(raw, stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(raw, frame_send);
  return callbacks;
}

}  // namespace

h2_server::h2_server(const server_options& options, request_handler& handler,
                     http_server_connection& connection, byte_buffer& output)
    : options_(options), handler_(handler), connection_(connection), output_(output) {
  auto callbacks = make_callbacks(on_begin_headers, on_header, on_data_chunk, on_frame_recv,
                                  on_stream_close, on_frame_send);
  nghttp2_session* raw = nullptr;
  if (!callbacks ||
      nghttp2_session_server_new2(&raw, callbacks.get(), this, session_options()) != 0) {
    failed_ = true;
    return;
  }
  session_.reset(raw);
  // The server speaks first: our SETTINGS, then a larger connection window.
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.initial_window_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(options_.max_header_size)},
      // No RFC 7540 priority tree: every stream is equal here, and nghttp2 then keeps no
      // closed streams around for it.
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  };
  if (nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0)
    failed_ = true;
  if (options_.connection_window_size > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE)
    nghttp2_session_set_local_window_size(raw, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<int32_t>(options_.connection_window_size));
  nva_.reserve(16);
}

h2_server::~h2_server() = default;

error h2_server::receive(std::span<const std::byte> bytes) {
  if (failed_) return {error_code::protocol_error, "HTTP/2 session failed"};
  ssize_t rc = nghttp2_session_mem_recv(
      session_.get(), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (rc < 0) {
    fail();
    return {error_code::protocol_error,
            std::string{"HTTP/2: "} +
                (ended_because_ ? ended_because_ : nghttp2_strerror(static_cast<int>(rc)))};
  }
  // Taking the frames out now makes a GOAWAY nghttp2 queued over a peer's protocol error count
  // as sent, after which it stops reading; after a GOAWAY exchange it stops too, without error.
  fill_output();
  if (!nghttp2_session_want_read(session_.get()) && !goaway_exchanged_) {
    failed_ = true;
    return {error_code::protocol_error, "HTTP/2 session terminated on a protocol error"};
  }
  return {};
}

void h2_server::receive_eof() {
  eof_ = true;
}

std::size_t h2_server::queued_output() const {
  if (!session_) return 0;
  return nghttp2_session_get_outbound_queue_size(session_.get()) * queued_frame_bytes +
         answer_bytes_;
}

void h2_server::fill_output() {
  if (session_ && !pull_frames(session_.get(), output_)) broken_ = true;
}

bool h2_server::finished() const {
  if (eof_ || broken_ || !session_) return true;
  return !nghttp2_session_want_read(session_.get()) && !nghttp2_session_want_write(session_.get());
}

void h2_server::fail() {
  failed_ = true;
  // nghttp2 has usually queued a GOAWAY itself; make sure one goes out before we close.
  nghttp2_session_terminate_session(session_.get(), NGHTTP2_PROTOCOL_ERROR);
}

h2_server::stream_state* h2_server::find(stream_id stream) const {
  if (!session_) return nullptr;
  return static_cast<stream_state*>(nghttp2_session_get_stream_user_data(session_.get(), stream));
}

h2_server::stream_state* h2_server::acquire(stream_id stream) {
  stream_state* state = take_state(pool_, free_);
  state->id = stream;
  state->method.clear();
  state->authority.clear();
  state->path.clear();
  state->headers.clear();
  state->body.clear();
  state->response_body.clear();
  state->header_bytes = state->discarded = 0;
  state->body_limit = options_.max_body_size;
  state->request_complete = state->rejected = state->responded = state->reset_sent = false;
  state->reset_wanted = state->answer_sent = false;
  state->answer_bytes = 0;
  return state;
}

void h2_server::release(stream_state* state) {
  buffered_ -= state->body.size();
  state->body.clear();
  release_if_large(state->body);
  release_if_large(state->response_body);
  // A burst of streams is not kept: past a few spare states, the state goes.
  constexpr std::size_t spare_states = 16;
  if (free_.size() < spare_states) {
    free_.push_back(state);
    return;
  }
  for (auto& owned : pool_) {
    if (owned.get() == state) {
      std::swap(owned, pool_.back());
      pool_.pop_back();
      break;
    }
  }
}

int h2_server::on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame,
                                void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  stream_state* state = self(user_data).acquire(frame->hd.stream_id);
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, state);
  return 0;
}

int h2_server::on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                         size_t name_size, const uint8_t* value, size_t value_size, uint8_t,
                         void* user_data) {
  auto& server = self(user_data);
  stream_state* state = server.find(frame->hd.stream_id);
  if (!state || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  state->header_bytes += name_size + value_size;
  if (state->rejected) {
    // A block that decodes far beyond the limit (an HPACK bomb: a small block repeating a large
    // table entry) or one oversized block too many: stop decoding and end the connection.
    bool bomb = state->header_bytes > 4 * server.options_.max_header_size;
    if (!bomb) return 0;
    server.ended_because_ = "a header block decoding to over four times the header limit";
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  if (state->header_bytes > server.options_.max_header_size) {
    if (++server.oversized_blocks_ > max_oversized_blocks) {
      server.ended_because_ = "too many header blocks over the limit";
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    server.reject(*state, 431);
    return 0;
  }
  std::string_view key = view_of(name, name_size);
  std::string_view text = view_of(value, value_size);
  if (!key.empty() && key[0] == ':') {
    if (key == ":method")
      state->method = text;
    else if (key == ":path")
      state->path = text;
    else if (key == ":authority")
      state->authority = text;
  } else {
    state->headers.add(key, text);
  }
  return 0;
}

int h2_server::on_data_chunk(nghttp2_session*, uint8_t, int32_t stream, const uint8_t* data,
                             size_t size, void* user_data) {
  auto& server = self(user_data);
  stream_state* state = server.find(stream);
  if (!state) return 0;
  if (state->rejected) {
    // Dropped as it arrives; a client that keeps sending far beyond the limit is stopped.
    state->discarded += size;
    if (state->discarded > discard_limit(state->body_limit) && !state->reset_sent) {
      // A peer that keeps pushing bodies far over their limit on stream after stream only
      // makes the router read and drop: past a few such streams the connection ends.
      if (++server.overrun_streams_ > max_overrun_streams) {
        server.ended_because_ = "too many request bodies far over their limit";
        return NGHTTP2_ERR_CALLBACK_FAILURE;
      }
      // NO_ERROR asks the client to stop sending without failing the request (RFC 9113
      // §8.1), but only after the answer: a reset queued before it would overtake it.
      state->reset_sent = true;
      if (state->answer_sent)
        nghttp2_submit_rst_stream(server.session_.get(), NGHTTP2_FLAG_NONE, stream,
                                  NGHTTP2_NO_ERROR);
      else
        state->reset_wanted = true;
    }
    return 0;
  }
  if (state->body.size() + size > state->body_limit) {
    server.reject(*state, 413);
    return 0;
  }
  std::size_t budget = server.options_.max_buffered_body ? server.options_.max_buffered_body
                                                         : 2 * server.options_.max_body_size;
  if (server.buffered_ + size > budget) {
    server.reject(*state, 413,
                  "request bodies on this connection over the limit of " + std::to_string(budget) +
                      " bytes at once");
    return 0;
  }
  server.body_bytes_ += size;
  server.buffered_ += size;
  state->body.append(std::span<const std::byte>{reinterpret_cast<const std::byte*>(data), size});
  return 0;
}

int h2_server::on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) return 0;
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  auto& server = self(user_data);
  stream_state* state = server.find(frame->hd.stream_id);
  if (!state) return 0;
  state->answer_sent = true;
  if (state->reset_wanted) {
    state->reset_wanted = false;
    nghttp2_submit_rst_stream(server.session_.get(), NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_NO_ERROR);
  }
  return 0;
}

int h2_server::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto& server = self(user_data);
  if (frame->hd.type == NGHTTP2_GOAWAY) server.goaway_exchanged_ = true;
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  stream_state* state = server.find(frame->hd.stream_id);
  if (!state) return 0;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    ++server.progress_;
    ++server.requests_seen_;
    if (!state->rejected) {
      request head;
      server.fill_head(*state, head);
      state->body_limit = body_limit_of(server.options_, head);
    }
  }
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
  state->request_complete = true;
  if (!state->rejected) server.dispatch(*state);
  return 0;
}

int h2_server::on_stream_close(nghttp2_session* session, int32_t stream, uint32_t,
                               void* user_data) {
  auto& server = self(user_data);
  stream_state* state = server.find(stream);
  if (!state) return 0;
  if (state->request_complete && !state->rejected && !state->responded) --server.open_requests_;
  server.answer_bytes_ -= state->answer_bytes;
  state->answer_bytes = 0;
  nghttp2_session_set_stream_user_data(session, stream, nullptr);
  server.release(state);
  return 0;
}

void h2_server::fill_head(stream_state& state, request& out) {
  out.stream = state.id;
  out.method = state.method;
  out.authority = state.authority;
  split_target(state.path, out);
  out.headers = state.headers.view();
}

void h2_server::dispatch(stream_state& state) {
  ++open_requests_;
  request req;
  fill_head(state, req);
  req.body = state.body.data();
  req.body_storage = &state.body;
  std::size_t held = state.body.size();
  handler_(connection_, req);
  // The handler has copied (or moved out) what it keeps: the views end with the call.
  buffered_ -= held;
  state.body.clear();
  release_if_large(state.body);
}

void h2_server::reject(stream_state& state, int status, std::string_view why) {
  state.rejected = true;
  buffered_ -= state.body.size();
  state.body.clear();
  release_if_large(state.body);
  std::string text = rejection_text(status, options_, why, state.body_limit);
  if (options_.on_refusal)
    options_.on_refusal(status, std::string_view{text}.substr(0, text.size() - 1));
  header fields[] = {{"content-type", "text/plain"}};
  submit(state, status, fields, as_bytes(text));
}

error h2_server::respond(stream_id stream, int status, std::span<const header> headers,
                         std::span<const std::byte> body) {
  stream_state* state = find(stream);
  if (!state || !state->request_complete || state->rejected || state->responded)
    return {error_code::unknown_stream, "no open request on stream " + std::to_string(stream)};
  --open_requests_;
  return submit(*state, status, headers, body);
}

error h2_server::submit(stream_state& state, int status, std::span<const header> headers,
                        std::span<const std::byte> body) {
  state.responded = true;
  ++progress_;
  char status_text[4];
  char length_text[24];
  if (status < 100 || status > 999) status = 500;
  std::to_chars(status_text, status_text + 3, status);
  auto length_end = std::to_chars(length_text, length_text + sizeof length_text, body.size()).ptr;
  nva_.clear();
  nva_.push_back(make_nv(":status", {status_text, 3}));
  for (const auto& field : headers) {
    if (!is_engine_header(field.name)) nva_.push_back(make_nv(field.name, field.value));
  }
  nva_.push_back(make_nv("content-length", {length_text, std::size_t(length_end - length_text)}));
  nghttp2_data_provider provider{};
  state.response_body.clear();
  if (state.method == "HEAD") body = {};  // RFC 9110 §9.3.2: the length is told, nothing sent
  state.response_body.append(body);
  answer_bytes_ += body.size() - state.answer_bytes;
  state.answer_bytes = body.size();
  provider.source.ptr = &state.response_body;
  provider.read_callback = read_from_buffer;
  int rc = nghttp2_submit_response(session_.get(), state.id, nva_.data(), nva_.size(),
                                   body.empty() ? nullptr : &provider);
  if (rc != 0) return {error_code::internal_error, nghttp2_strerror(rc)};
  return {};
}

void h2_server::cancel(stream_id stream) {
  stream_state* state = find(stream);
  if (!state) return;
  if (state->request_complete && !state->rejected && !state->responded) {
    state->responded = true;
    --open_requests_;
  }
  nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream, NGHTTP2_CANCEL);
}

void h2_server::shutdown() {
  if (!session_ || goaway_exchanged_) return;
  goaway_exchanged_ = true;
  // One GOAWAY with the last stream we saw: open streams finish, new ones are refused. It is
  // taken out of nghttp2 at once: nghttp2 ignores streams above the last id only once the
  // GOAWAY counts as sent, and a stream we announced as unprocessed must not reach the handler.
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  fill_output();
}

}  // namespace tr::transport::detail
