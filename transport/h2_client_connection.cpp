#include "transport/h2_client_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

#include "transport/detail/h2_client_stream.hpp"
#include "transport/detail/h2_wire.hpp"
#include "transport/detail/header_store.hpp"
#include "transport/detail/http1_format.hpp"

namespace tr::transport {

namespace {

using namespace detail::h2;

constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr std::uint32_t our_max_frame = 16384;        // we never raise SETTINGS_MAX_FRAME_SIZE
constexpr std::size_t small_data_frame = 1024;  // DATA below this, not ending its stream, counts
                                                // against the allowance (h2_client_stream.hpp)

bool is_lower_case(std::string_view name) {
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

}  // namespace

namespace {

// RFC 9113 §8.1.1: a body that differs from its content-length makes the response malformed,
// except where none is sent by definition (HEAD, 204, 304).
bool body_matches_length(const h2_client_connection::stream_state& state) {
  if (state.content_length < 0 || state.head_request) return true;
  if (state.status == 204 || state.status == 304) return true;
  return state.body_size == static_cast<std::uint64_t>(state.content_length);
}

}  // namespace

h2_client_connection::h2_client_connection(const client_options& options) : options_(options) {
  next_stream_id_ = options_.first_stream_id > 0 ? options_.first_stream_id | 1 : 1;
  if (nghttp2_hd_inflate_new(&decoder_) != 0) {
    decoder_ = nullptr;
    failure_ = {error_code::internal_error, "cannot create an HPACK decoder"};
    return;
  }
  output_.append(client_preface);
  struct setting {
    std::uint16_t id;
    std::uint32_t value;
  };
  const setting settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.initial_window_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(options_.max_header_size)},
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},  // we never send priorities
  };
  write_frame_head(std::size(settings) * 6, frame_settings, 0, 0);
  for (const auto& s : settings) {
    auto room = output_.prepare(6);
    room[0] = std::byte(s.id >> 8);
    room[1] = std::byte(s.id);
    write32(room.data() + 2, s.value);
    output_.commit(6);
  }
  write_window_update(0, static_cast<std::uint32_t>(connection_window - 65535));
  receive_window_ = connection_window;
}

h2_client_connection::~h2_client_connection() {
  if (decoder_) nghttp2_hd_inflate_del(decoder_);
}

std::uint32_t h2_client_connection::peer_max_concurrent_streams() const {
  return settings_received_ ? peer_max_streams_ : std::min<std::uint32_t>(peer_max_streams_, 100);
}

bool h2_client_connection::needs_new_connection() const {
  return closed_ || failure_ || goaway_received_ || next_stream_id_ > 0x7fffffff;
}

bool h2_client_connection::can_submit() const {
  if (needs_new_connection()) return false;
  std::size_t limit =
      std::min<std::size_t>(options_.max_concurrent_streams, peer_max_concurrent_streams());
  return active_ < limit;
}

// --- outgoing ---------------------------------------------------------------------------------

void h2_client_connection::write_frame_head(std::size_t length, std::uint8_t type,
                                            std::uint8_t flags, std::int32_t stream) {
  auto room = output_.prepare(frame_head_size);
  room[0] = std::byte(length >> 16);
  room[1] = std::byte(length >> 8);
  room[2] = std::byte(length);
  room[3] = std::byte(type);
  room[4] = std::byte(flags);
  write32(room.data() + 5, static_cast<std::uint32_t>(stream) & 0x7fffffffu);
  output_.commit(frame_head_size);
}

void h2_client_connection::write_window_update(std::int32_t stream, std::uint32_t increment) {
  write_frame_head(4, frame_window_update, 0, stream);
  auto room = output_.prepare(4);
  write32(room.data(), increment & 0x7fffffffu);
  output_.commit(4);
}

void h2_client_connection::write_goaway(std::uint32_t code) {
  write_frame_head(8, frame_goaway, 0, 0);
  auto room = output_.prepare(8);
  write32(room.data(), 0);  // we accept no server-initiated streams
  write32(room.data() + 4, code);
  output_.commit(8);
}

void h2_client_connection::write_rst_stream(std::int32_t stream, std::uint32_t code) {
  write_frame_head(4, frame_rst_stream, 0, stream);
  auto room = output_.prepare(4);
  write32(room.data(), code);
  output_.commit(4);
}

expected<stream_id> h2_client_connection::submit(const client_request& req, completion done) {
  if (!can_submit()) {
    if (closed_ || failure_) return error{error_code::connection_closed, "connection closed"};
    if (goaway_received_) return error{error_code::going_away, "the server sent GOAWAY"};
    if (needs_new_connection())
      return error{error_code::streams_exhausted, "no stream id left on this connection"};
    return error{error_code::busy, "at the concurrent stream limit"};
  }
  stream_state* state = acquire();
  state->id = static_cast<stream_id>(next_stream_id_);
  next_stream_id_ += 2;
  last_stream_id_ = state->id;
  state->done = std::move(done);
  state->send_window = peer_initial_window_;
  state->receive_window = options_.initial_window_size;
  state->headers_at = consumed_ + output_.size();
  state->head_request = req.method == "HEAD";

  // HEADERS: the block is built after a reserved frame head, whose length is filled in after.
  std::size_t before = output_.size();
  write_frame_head(0, frame_headers, 0, state->id);
  std::size_t block_start = output_.size();
  using kind = detail::hpack_encoder::kind;
  encoder_.begin(output_);
  encoder_.add(output_, ":method", req.method, kind::may_repeat);
  encoder_.add(output_, ":scheme", req.scheme, kind::may_repeat);
  encoder_.add(output_, ":authority", req.authority, kind::may_repeat);
  encoder_.add(output_, ":path", req.path.empty() ? std::string_view{"/"} : req.path,
               kind::changes);
  for (const auto& field : req.headers) {
    if (detail::is_engine_header(field.name)) continue;
    std::string_view name = field.name;
    if (!is_lower_case(name)) {
      lowered_.assign(name);  // HTTP/2 names are lower case; the buffer is reused
      for (char& c : lowered_) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      name = lowered_;
    }
    encoder_.add(output_, name, field.value, kind::may_repeat);
  }
  char length_text[24];
  auto length_end =
      std::to_chars(length_text, length_text + sizeof length_text, req.body.size()).ptr;
  encoder_.add(output_, "content-length",
               {length_text, static_cast<std::size_t>(length_end - length_text)}, kind::changes);
  std::size_t block_size = output_.size() - block_start;
  std::uint8_t end_stream = req.body.empty() ? flag_end_stream : 0;
  if (block_size <= peer_max_frame_) {
    auto head = output_.mutable_data().subspan(before, frame_head_size);
    head[0] = std::byte(block_size >> 16);
    head[1] = std::byte(block_size >> 8);
    head[2] = std::byte(block_size);
    head[4] = std::byte(flag_end_headers | end_stream);
  } else {
    // A block larger than one frame: HEADERS then CONTINUATION frames (rare: big custom headers).
    std::string block{as_text(output_.data().subspan(block_start))};
    std::string prefix{as_text(output_.data().first(before))};
    output_.clear();
    output_.append(prefix);
    std::string_view rest = block;
    bool first = true;
    while (!rest.empty() || first) {
      std::size_t piece = std::min<std::size_t>(rest.size(), peer_max_frame_);
      std::uint8_t flags = piece == rest.size() ? flag_end_headers : 0;
      if (first) flags |= end_stream;
      write_frame_head(piece, first ? frame_headers : frame_continuation, flags, state->id);
      output_.append(rest.substr(0, piece));
      rest.remove_prefix(piece);
      first = false;
    }
  }
  state->body_done = req.body.empty();
  if (!req.body.empty()) {
    // What the windows let out now goes straight from the caller's bytes; only the rest waits.
    auto rest = send_data(*state, req.body);
    if (!rest.empty()) {
      state->request_body.append(rest);
      send_data(*state);
    }
  }
  streams_.push_back(state);  // ids only grow: the vector stays sorted
  ++active_;
  return stream_id{state->id};
}

std::span<const std::byte> h2_client_connection::send_data(stream_state& state,
                                                           std::span<const std::byte> body) {
  while (!body.empty()) {
    std::int64_t allowed =
        std::min({send_window_, state.send_window, static_cast<std::int64_t>(peer_max_frame_),
                  static_cast<std::int64_t>(body.size())});
    if (allowed <= 0) break;
    auto count = static_cast<std::size_t>(allowed);
    bool last = count == body.size();
    write_frame_head(count, frame_data, last ? flag_end_stream : 0, state.id);
    output_.append(body.first(count));
    body = body.subspan(count);
    send_window_ -= allowed;
    state.send_window -= allowed;
    if (last) state.body_done = true;
  }
  return body;
}

void h2_client_connection::send_data(stream_state& state) {
  auto rest = send_data(state, state.request_body.data());
  state.request_body.consume(state.request_body.size() - rest.size());
  if (!rest.empty() && !state.blocked) {
    state.blocked = true;
    blocked_.push_back(&state);
  }
}

void h2_client_connection::send_pending_data() {
  if (blocked_.empty()) return;
  std::vector<stream_state*> waiting;
  waiting.swap(blocked_);
  for (std::size_t i = 0; i < waiting.size(); ++i) {
    stream_state* state = waiting[i];
    state->blocked = false;
    if (send_window_ <= 0) {
      // Keep the order: the rest waits for the next WINDOW_UPDATE.
      for (std::size_t j = i; j < waiting.size(); ++j) {
        waiting[j]->blocked = true;
        blocked_.push_back(waiting[j]);
      }
      return;
    }
    send_data(*state);
  }
}

error h2_client_connection::connection_error(std::uint32_t code, std::string reason) {
  if (!failure_) {
    failure_ = {error_code::protocol_error, "HTTP/2: " + reason};
    fail_all(error_code::protocol_error, failure_.reason());
    write_goaway(code);
  }
  return failure_;
}

// --- incoming ---------------------------------------------------------------------------------

error h2_client_connection::receive(std::span<const std::byte> bytes) {
  if (failure_) return failure_;
  if (closed_) return {};
  if (input_.empty()) {
    std::size_t used = process(bytes);
    if (!failure_ && used < bytes.size()) input_.append(bytes.subspan(used));
  } else {
    input_.append(bytes);
    std::size_t used = process(input_.data());
    input_.consume(used);
  }
  if (failure_) return failure_;
  if (receive_unacked_ >= connection_window / 2) {
    write_window_update(0, static_cast<std::uint32_t>(receive_unacked_));
    receive_window_ += receive_unacked_;
    receive_unacked_ = 0;
  }
  return {};
}

std::size_t h2_client_connection::process(std::span<const std::byte> bytes) {
  std::size_t at = 0;
  while (!failure_ && !closed_ && bytes.size() - at >= frame_head_size) {
    const std::byte* head = bytes.data() + at;
    std::size_t length =
        (std::size_t(head[0]) << 16) | (std::size_t(head[1]) << 8) | std::size_t(head[2]);
    if (length > our_max_frame) {
      connection_error(frame_size_error, "frame of " + std::to_string(length) + " bytes");
      break;
    }
    if (bytes.size() - at < frame_head_size + length) break;
    auto type = static_cast<std::uint8_t>(head[3]);
    auto flags = static_cast<std::uint8_t>(head[4]);
    auto stream = static_cast<std::int32_t>(read32(head + 5) & 0x7fffffffu);
    at += frame_head_size + length;
    if (auto err = on_frame(type, flags, stream, {head + frame_head_size, length})) break;
  }
  return at;
}

error h2_client_connection::on_frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream,
                                     std::span<const std::byte> payload) {
  if (header_stream_ != 0 && (type != frame_continuation || stream != header_stream_))
    return connection_error(protocol_error_code, "expected CONTINUATION");
  switch (type) {
    case frame_data:
      return on_data(flags, stream, payload);
    case frame_headers:
      return on_headers(flags, stream, payload);
    case frame_continuation:
      if (header_stream_ == 0) return connection_error(protocol_error_code, "stray CONTINUATION");
      if (auto err = spend_idle_frame("CONTINUATION")) return err;
      if (header_block_.size() + payload.size() > 2 * options_.max_header_size)
        return connection_error(internal_error_code, "response header block over the limit");
      header_block_.append(payload);
      if (flags & flag_end_headers) return on_header_block_end();
      return {};
    case frame_priority:
      if (stream == 0) return connection_error(protocol_error_code, "PRIORITY on stream 0");
      if (payload.size() != 5) return connection_error(frame_size_error, "PRIORITY size");
      return spend_idle_frame("PRIORITY");
    case frame_rst_stream:
      return on_rst_stream(stream, payload);
    case frame_settings:
      if (auto err = spend_idle_frame("SETTINGS")) return err;
      return on_settings(flags, payload);
    case frame_push_promise:
      return connection_error(protocol_error_code, "PUSH_PROMISE although push is disabled");
    case frame_ping:
      if (stream != 0) return connection_error(protocol_error_code, "PING on a stream");
      if (payload.size() != 8) return connection_error(frame_size_error, "PING size");
      if (auto err = spend_idle_frame("PING")) return err;
      if ((flags & flag_ack) == 0) {
        write_frame_head(8, frame_ping, flag_ack, 0);
        output_.append(payload);
      }
      return {};
    case frame_goaway:
      return on_goaway(payload);
    case frame_window_update:
      if (auto err = spend_idle_frame("WINDOW_UPDATE")) return err;
      return on_window_update(stream, payload);
    default:
      return spend_idle_frame("unknown frame types");  // else ignored (RFC 9113 §4.1)
  }
}

error h2_client_connection::on_data(std::uint8_t flags, std::int32_t stream,
                                    std::span<const std::byte> payload) {
  if (stream == 0) return connection_error(protocol_error_code, "DATA on stream 0");
  if (stream > last_stream_id_ || (stream & 1) == 0)
    return connection_error(protocol_error_code, "DATA on a stream never opened");
  // Flow control counts the whole payload, padding included.
  auto size = static_cast<std::int64_t>(payload.size());
  if (size > receive_window_) return connection_error(flow_control_error, "connection window");
  receive_window_ -= size;
  if (flags & flag_padded) {
    if (payload.empty() || std::size_t(payload[0]) >= payload.size())
      return connection_error(protocol_error_code, "bad DATA padding");
    payload = payload.subspan(1, payload.size() - 1 - std::size_t(payload[0]));
  }
  stream_state* state = find(stream);
  // A body in tiny frames costs a frame's work per byte: small frames that do not end it are
  // taken from the allowance like empty ones (an answer's body comes in a frame or two).
  if (!state || (payload.size() < small_data_frame && (flags & flag_end_stream) == 0)) {
    if (auto err = spend_idle_frame(state ? "small DATA frames" : "DATA for closed streams"))
      return err;
  }
  if (!state) {
    // A stream we reset or completed: dropped. Only what the peer could have had in flight when
    // we reset it (its stream window then), plus a little slack, is given back; a peer that
    // keeps sending is cut off.
    if (size > reset_allowance_)
      return connection_error(flow_control_error, "DATA beyond the window of a closed stream");
    reset_allowance_ -= size;
    receive_unacked_ += size;
    return {};
  }
  receive_unacked_ += size;
  if (size > state->receive_window) {
    reset_stream(*state, flow_control_error, {error_code::protocol_error, "stream window"});
    return {};
  }
  state->receive_window -= size;
  state->receive_unacked += size;
  if (!state->final_headers) {
    reset_stream(*state, protocol_error_code, {error_code::protocol_error, "DATA before HEADERS"});
    return {};
  }
  if (state->body_size + payload.size() > options_.max_response_body_size) {
    reset_stream(*state, cancel_code, {error_code::body_too_large, "response body over the limit"});
    return {};
  }
  state->body_size += payload.size();
  if (state->body.size() < options_.kept_response_body)
    state->body.append(
        payload.first(std::min(payload.size(), options_.kept_response_body - state->body.size())));
  if (flags & flag_end_stream) {
    if (!body_matches_length(*state)) {
      reset_stream(*state, protocol_error_code,
                   {error_code::protocol_error, "response body differs from content-length"});
      return {};
    }
    complete(*state, {});
    return {};
  }
  if (state->receive_unacked >= options_.initial_window_size / 2) {
    write_window_update(state->id, static_cast<std::uint32_t>(state->receive_unacked));
    state->receive_window += state->receive_unacked;
    state->receive_unacked = 0;
  }
  return {};
}

error h2_client_connection::on_headers(std::uint8_t flags, std::int32_t stream,
                                       std::span<const std::byte> payload) {
  if (stream == 0) return connection_error(protocol_error_code, "HEADERS on stream 0");
  if (stream > last_stream_id_ || (stream & 1) == 0)
    return connection_error(protocol_error_code, "HEADERS on a stream never opened");
  if (flags & flag_padded) {
    if (payload.empty() || std::size_t(payload[0]) >= payload.size())
      return connection_error(protocol_error_code, "bad HEADERS padding");
    payload = payload.subspan(1, payload.size() - 1 - std::size_t(payload[0]));
  }
  if (flags & flag_priority) {
    if (payload.size() < 5) return connection_error(frame_size_error, "HEADERS priority");
    payload = payload.subspan(5);
  }
  header_block_.clear();
  header_block_.append(payload);
  header_stream_ = stream;
  header_end_stream_ = (flags & flag_end_stream) != 0;
  if (flags & flag_end_headers) return on_header_block_end();
  return {};
}

error h2_client_connection::on_header_block_end() {
  std::int32_t stream = header_stream_;
  header_stream_ = 0;
  stream_state* state = find(stream);
  bool interim = false;
  bool trailers = state && state->final_headers;
  if (state && !trailers) {
    state->status = 0;
    state->headers.clear();
    state->content_length = -1;
  }
  if (state) state->header_bytes = 0;  // the size limit applies to each block
  // Every block is decoded, even for streams we dropped: the decoder's table must stay in step.
  bool regular_seen = false, status_seen = false;
  auto input = header_block_.data();
  const auto* in = reinterpret_cast<const uint8_t*>(input.data());
  std::size_t left = input.size();
  for (;;) {
    nghttp2_nv field;
    int inflate_flags = 0;
    ssize_t used = nghttp2_hd_inflate_hd2(decoder_, &field, &inflate_flags, in, left, 1);
    if (used < 0) return connection_error(compression_error, "bad HPACK block");
    in += used;
    left -= static_cast<std::size_t>(used);
    if (inflate_flags & NGHTTP2_HD_INFLATE_EMIT) {
      if (state && !state->failure) {
        std::string_view name{reinterpret_cast<const char*>(field.name), field.namelen};
        std::string_view value{reinterpret_cast<const char*>(field.value), field.valuelen};
        state->header_bytes += name.size() + value.size();
        // RFC 9113 §8.2 and §8.3: a malformed response fails its stream (PROTOCOL_ERROR).
        if (auto problem =
                malformed_response_field(name, value, trailers, regular_seen, status_seen)) {
          state->failure = {error_code::protocol_error, problem};
        } else if (trailers) {
          // Trailers are checked and counted, not kept.
        } else if (name == ":status") {
          int status = 0;
          auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), status);
          if (ec != std::errc{} || end != value.data() + value.size() || value.size() != 3)
            state->failure = {error_code::protocol_error, "bad :status"};
          state->status = status;
        } else {
          if (name == "content-length") {
            std::int64_t length = -1;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
            if (ec != std::errc{} || end != value.data() + value.size() || length < 0 ||
                (state->content_length >= 0 && state->content_length != length))
              state->failure = {error_code::protocol_error, "bad content-length"};
            state->content_length = length;
          }
          state->headers.add(name, value);
        }
        if (state->header_bytes > options_.max_header_size)
          state->failure = {error_code::header_too_large, "response headers over the limit"};
      }
    }
    if (inflate_flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(decoder_);
      break;
    }
    if ((inflate_flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) break;
  }
  header_block_.clear();
  if (!state) return spend_idle_frame("header blocks for closed streams");
  if (state->failure) {
    reset_stream(
        *state,
        state->failure.code() == error_code::header_too_large ? cancel_code : protocol_error_code,
        state->failure);
    return {};
  }
  if (trailers && !header_end_stream_) {
    reset_stream(*state, protocol_error_code,
                 {error_code::protocol_error, "trailers without END_STREAM"});
    return {};
  }
  if (!trailers) {
    if (state->status < 100) {
      reset_stream(*state, protocol_error_code, {error_code::protocol_error, "no :status"});
      return {};
    }
    interim = state->status < 200;
    if (!interim) state->final_headers = true;
    if (interim) {
      if (auto err = spend_idle_frame("interim (1xx) responses")) return err;
    }
  }
  if (header_end_stream_) {
    if (interim || !state->final_headers) {
      reset_stream(*state, protocol_error_code,
                   {error_code::protocol_error, "stream ended without a final response"});
    } else if (!body_matches_length(*state)) {
      reset_stream(*state, protocol_error_code,
                   {error_code::protocol_error, "response body differs from content-length"});
    } else {
      complete(*state, {});
    }
  }
  return {};
}

error h2_client_connection::on_settings(std::uint8_t flags, std::span<const std::byte> payload) {
  if (flags & flag_ack) {
    if (!payload.empty()) return connection_error(frame_size_error, "SETTINGS ACK with payload");
    return {};
  }
  if (payload.size() % 6 != 0) return connection_error(frame_size_error, "SETTINGS size");
  for (std::size_t at = 0; at < payload.size(); at += 6) {
    auto id = static_cast<std::uint16_t>((std::uint16_t(payload[at]) << 8) |
                                         std::uint16_t(payload[at + 1]));
    std::uint32_t value = read32(payload.data() + at + 2);
    switch (id) {
      case NGHTTP2_SETTINGS_HEADER_TABLE_SIZE:
        encoder_.set_peer_table_size(value);
        break;
      case NGHTTP2_SETTINGS_ENABLE_PUSH:
        // RFC 9113 §6.5.2: a server may only say 0.
        if (value != 0) return connection_error(protocol_error_code, "ENABLE_PUSH from a server");
        break;
      case NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS:
        peer_max_streams_ = value;
        break;
      case NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE: {
        if (value > max_window) return connection_error(flow_control_error, "window above 2^31-1");
        std::int64_t delta = std::int64_t(value) - peer_initial_window_;
        peer_initial_window_ = value;
        for (auto* state : streams_) {
          state->send_window += delta;
          if (state->send_window > max_window)
            return connection_error(flow_control_error, "stream window above 2^31-1");
        }
        break;
      }
      case NGHTTP2_SETTINGS_MAX_FRAME_SIZE:
        if (value < 16384 || value > 16777215)
          return connection_error(protocol_error_code, "MAX_FRAME_SIZE out of range");
        peer_max_frame_ = value;
        break;
      default:
        break;  // MAX_HEADER_LIST_SIZE is advisory; unknown settings are ignored
    }
  }
  settings_received_ = true;
  write_frame_head(0, frame_settings, flag_ack, 0);
  send_pending_data();
  return {};
}

error h2_client_connection::on_window_update(std::int32_t stream,
                                             std::span<const std::byte> payload) {
  if (payload.size() != 4) return connection_error(frame_size_error, "WINDOW_UPDATE size");
  std::int64_t increment = read32(payload.data()) & 0x7fffffffu;
  if (stream == 0) {
    if (increment == 0) return connection_error(protocol_error_code, "WINDOW_UPDATE of 0");
    send_window_ += increment;
    if (send_window_ > max_window) return connection_error(flow_control_error, "window overflow");
  } else {
    if (stream > last_stream_id_ || (stream & 1) == 0)
      return connection_error(protocol_error_code, "WINDOW_UPDATE on a stream never opened");
    stream_state* state = find(stream);
    if (!state) return {};
    if (increment == 0) {
      reset_stream(*state, protocol_error_code, {error_code::protocol_error, "WINDOW_UPDATE of 0"});
      return {};
    }
    state->send_window += increment;
    if (state->send_window > max_window) {
      reset_stream(*state, flow_control_error, {error_code::protocol_error, "window overflow"});
      return {};
    }
  }
  send_pending_data();
  return {};
}

error h2_client_connection::on_rst_stream(std::int32_t stream, std::span<const std::byte> payload) {
  if (payload.size() != 4) return connection_error(frame_size_error, "RST_STREAM size");
  if (stream == 0) return connection_error(protocol_error_code, "RST_STREAM on stream 0");
  if (stream > last_stream_id_) return connection_error(protocol_error_code, "RST_STREAM on idle");
  stream_state* state = find(stream);
  if (!state) return spend_idle_frame("RST_STREAM for closed streams");
  std::uint32_t code = read32(payload.data());
  if (code == refused_stream) {
    complete(*state, {error_code::refused, "stream refused by the server"});
  } else {
    complete(*state, {error_code::stream_reset,
                      std::string{"stream reset: "} + nghttp2_http2_strerror(code)});
  }
  return {};
}

error h2_client_connection::on_goaway(std::span<const std::byte> payload) {
  if (payload.size() < 8) return connection_error(frame_size_error, "GOAWAY size");
  if (goaway_received_) {
    if (auto err = spend_idle_frame("GOAWAY")) return err;
  }
  goaway_received_ = true;
  goaway_last_stream_ = static_cast<std::int32_t>(read32(payload.data()) & 0x7fffffffu);
  // Streams above the last id were not processed: they fail as refused, safe to send again.
  while (!streams_.empty() && streams_.back()->id > goaway_last_stream_) {
    complete(*streams_.back(), {error_code::refused, "above the GOAWAY last stream id " +
                                                         std::to_string(goaway_last_stream_)});
  }
  return {};
}

void h2_client_connection::receive_eof() {
  if (closed_) return;
  closed_ = true;
  fail_all(error_code::connection_closed, "connection closed by the server");
}

std::span<const std::byte> h2_client_connection::pending_output() {
  return output_.data();
}

void h2_client_connection::consume_output(std::size_t count) {
  count = std::min(count, output_.size());
  output_.consume(count);
  consumed_ += count;
}

bool h2_client_connection::wants_close() const {
  if (closed_ || failure_) return true;
  return needs_new_connection() && active_ == 0;
}

}  // namespace tr::transport
