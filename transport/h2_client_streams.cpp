// The life of the HTTP/2 client's streams: found by id, taken from and given back to the pool,
// completed once each (h2_client_connection.cpp reads and writes the frames).

#include <algorithm>

#include "transport/detail/h2_client_stream.hpp"
#include "transport/detail/h2_wire.hpp"
#include "transport/detail/state_pool.hpp"

namespace tr::transport {

using namespace detail::h2;

namespace {
// Header fields kept for a stream's next use; a larger block's storage is given back.
constexpr std::size_t kept_header_capacity = 16 << 10;
}  // namespace

h2_client_connection::stream_state* h2_client_connection::find(stream_id stream) const {
  auto it = std::lower_bound(streams_.begin(), streams_.end(), stream,
                             [](const stream_state* s, stream_id id) { return s->id < id; });
  return it != streams_.end() && (*it)->id == stream ? *it : nullptr;
}

h2_client_connection::stream_state* h2_client_connection::acquire() {
  stream_state* state = detail::take_state(pool_, free_);
  state->id = 0;
  state->request_body.clear();
  state->headers.clear();
  state->body.clear();
  state->body_size = 0;
  state->header_bytes = 0;
  state->status = 0;
  state->failure = {};
  state->content_length = -1;
  state->head_request = false;
  state->final_headers = false;
  state->body_done = false;
  state->blocked = false;
  state->receive_unacked = 0;
  return state;
}

void h2_client_connection::release(stream_state* state) {
  auto it = std::lower_bound(streams_.begin(), streams_.end(), state->id,
                             [](const stream_state* s, stream_id id) { return s->id < id; });
  if (it != streams_.end() && *it == state) streams_.erase(it);
  if (state->blocked) {
    blocked_.erase(std::remove(blocked_.begin(), blocked_.end(), state), blocked_.end());
    state->blocked = false;
  }
}

void h2_client_connection::complete(stream_state& state, const error& err) {
  completion done = std::move(state.done);
  state.done = nullptr;
  --active_;
  // The server may answer before our body is out: the rest is not needed any more.
  if (!err && !state.body_done) write_rst_stream(state.id, no_error);
  // Closed before the completion runs, which may cancel, close or submit: the stream is not
  // found again, and its state is reused only after the response was read.
  release(&state);
  response res;
  if (!err) {
    res.status = state.status;
    res.headers = state.headers.view();
    res.body = state.body.data();
  }
  if (done) done(err, res);
  if (!err) idle_frames_ = std::min(idle_frames_ + idle_frames_per_answer, idle_frame_allowance);
  state.headers.release_if_large(kept_header_capacity);
  free_.push_back(&state);
}

error h2_client_connection::spend_idle_frame(const char* what) {
  if (--idle_frames_ >= 0) return {};
  return connection_error(enhance_your_calm, std::string{"too many "} + what +
                                                 " and other frames that carry no answer");
}

void h2_client_connection::reset_stream(stream_state& state, std::uint32_t code, error err) {
  write_rst_stream(state.id, code);
  reset_allowance_ =
      std::min<std::int64_t>(reset_allowance_ + state.receive_window, connection_window);
  state.body_done = true;
  complete(state, err);
}

void h2_client_connection::fail_all(error_code code, const std::string& reason) {
  // Requests whose HEADERS have not left this process must not leave after this: the caller
  // may send them again elsewhere. Their bytes (and whatever follows) are dropped.
  std::uint64_t cut = consumed_ + output_.size();
  for (const auto* state : streams_) {
    if (state->headers_at >= consumed_) cut = std::min(cut, state->headers_at);
  }
  output_.truncate(static_cast<std::size_t>(cut - consumed_));
  while (!streams_.empty()) {
    stream_state* state = streams_.back();
    // A request whose HEADERS never left this process was never sent: safe to send again.
    bool never_sent = state->headers_at >= consumed_;
    complete(*state, never_sent ? error{error_code::refused, reason + " (request not sent)"}
                                : error{code, reason});
  }
}

void h2_client_connection::cancel(stream_id stream) {
  stream_state* state = find(stream);
  if (!state) return;
  reset_stream(*state, cancel_code, {error_code::cancelled, "cancelled"});
}

void h2_client_connection::close() {
  if (closed_) return;
  bool say_goodbye = !failure_;
  closed_ = true;
  fail_all(error_code::connection_closed, "connection closed locally");
  if (say_goodbye) write_goaway(no_error);
}

}  // namespace tr::transport
