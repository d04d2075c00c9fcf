#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <memory>
#include <string_view>

#include "transport/detail/byte_buffer.hpp"

namespace tr::transport::detail {

struct session_deleter {
  void operator()(nghttp2_session* session) const { nghttp2_session_del(session); }
};
struct callbacks_deleter {
  void operator()(nghttp2_session_callbacks* callbacks) const {
    nghttp2_session_callbacks_del(callbacks);
  }
};

using session_ptr = std::unique_ptr<nghttp2_session, session_deleter>;
using callbacks_ptr = std::unique_ptr<nghttp2_session_callbacks, callbacks_deleter>;

/// Output is pulled from nghttp2 until this much is pending, so one TLS write carries many frames
/// without the buffer growing without bound.
inline constexpr std::size_t output_watermark = 64 * 1024;

/// Copies frames from nghttp2 into `out` (nghttp2_session_mem_send's buffer only lives until its
/// next call) until nothing is due or the watermark is reached; false on a fatal nghttp2 error.
bool pull_frames(nghttp2_session* session, byte_buffer& out);

/// A name/value pair for nghttp2 (copied by nghttp2 on submit).
inline nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

/// The view of an nghttp2 name or value.
inline std::string_view view_of(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The options of our nghttp2 sessions: closed streams are not retained (no priority tree to
/// keep them for). Made once, shared, never freed; nullptr (nghttp2's defaults) if it could
/// not be made.
nghttp2_option* session_options();

/// Reads a request or response body for nghttp2 from a byte_buffer (the data source's pointer),
/// consuming what it copies.
ssize_t read_from_buffer(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                         uint32_t* data_flags, nghttp2_data_source* source, void* user_data);

}  // namespace tr::transport::detail
