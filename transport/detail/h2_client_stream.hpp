#pragma once

// The state of one HTTP/2 client stream: h2_client_connection's own, shared by its two source
// files (h2_client_connection.cpp: frames; h2_client_streams.cpp: the streams' life). Not for
// other code.

#include <cstddef>
#include <cstdint>

#include "transport/detail/byte_buffer.hpp"
#include "transport/detail/header_store.hpp"
#include "transport/h2_client_connection.hpp"

namespace tr::transport {

namespace detail::h2 {
// Frames that carry no answer (PING, SETTINGS, PRIORITY, WINDOW_UPDATE, unknown types, small
// DATA, interim 1xx blocks, frames for streams we closed) are each taken from an allowance that
// every answer tops up; a peer that spends it all is cut off (GOAWAY ENHANCE_YOUR_CALM), so an
// AS cannot keep a shard busy with frames that lead nowhere.
inline constexpr std::int64_t idle_frame_allowance = 10000;
inline constexpr std::int64_t idle_frames_per_answer = 100;
/// What the client lets the peer send ahead on the connection (its receive window).
inline constexpr std::int64_t connection_window = 16 << 20;
}  // namespace detail::h2

struct h2_client_connection::stream_state {
  stream_id id = 0;
  completion done;
  detail::byte_buffer request_body;  // what flow control has not let out yet
  detail::header_store headers;
  detail::byte_buffer body;      // the first kept_response_body bytes of the body
  std::uint64_t body_size = 0;   // every byte of the body received
  std::uint64_t headers_at = 0;  // offset of its HEADERS in the output stream
  std::int64_t send_window = 0;
  std::int64_t receive_window = 0;
  std::int64_t receive_unacked = 0;
  std::size_t header_bytes = 0;
  std::int64_t content_length = -1;  // announced by the response, -1 if not
  int status = 0;
  error failure;  // a limit we hit; the stream is reset and fails with it
  bool final_headers = false;
  bool body_done = false;  // our END_STREAM is out (or queued in output_)
  bool blocked = false;    // in blocked_
  bool head_request = false;
};

}  // namespace tr::transport
