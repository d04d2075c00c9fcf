#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tr::transport::detail::h2 {

// Frame types and flags (RFC 9113 §6).
enum : std::uint8_t {
  frame_data = 0,
  frame_headers = 1,
  frame_priority = 2,
  frame_rst_stream = 3,
  frame_settings = 4,
  frame_push_promise = 5,
  frame_ping = 6,
  frame_goaway = 7,
  frame_window_update = 8,
  frame_continuation = 9,
};
enum : std::uint8_t {
  flag_end_stream = 0x1,
  flag_ack = 0x1,
  flag_end_headers = 0x4,
  flag_padded = 0x8,
  flag_priority = 0x20,
};
// Error codes (RFC 9113 §7).
enum : std::uint32_t {
  no_error = 0,
  protocol_error_code = 1,
  internal_error_code = 2,
  flow_control_error = 3,
  frame_size_error = 6,
  refused_stream = 7,
  cancel_code = 8,
  compression_error = 9,
  enhance_your_calm = 11,
};

inline constexpr std::size_t frame_head_size = 9;
inline constexpr std::int64_t max_window = 0x7fffffff;

inline std::uint32_t read32(const std::byte* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         std::uint32_t(p[3]);
}

inline void write32(std::byte* p, std::uint32_t v) {
  p[0] = std::byte(v >> 24);
  p[1] = std::byte(v >> 16);
  p[2] = std::byte(v >> 8);
  p[3] = std::byte(v);
}

/// Why one field of a response's header block (or of its trailers) makes the response malformed
/// (RFC 9113 §8.2, §8.3), or nullptr. `regular_seen` and `status_seen` carry the state of the
/// block (false at its start).
const char* malformed_response_field(std::string_view name, std::string_view value, bool trailers,
                                     bool& regular_seen, bool& status_seen);

}  // namespace tr::transport::detail::h2
