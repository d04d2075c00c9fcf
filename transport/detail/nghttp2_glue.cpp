#include "transport/detail/nghttp2_glue.hpp"

#include <cstring>

namespace tr::transport::detail {

nghttp2_option* session_options() {
  static nghttp2_option* const options = [] {
    nghttp2_option* made = nullptr;
    if (nghttp2_option_new(&made) != 0) return static_cast<nghttp2_option*>(nullptr);
    nghttp2_option_set_no_closed_streams(made, 1);
    return made;
  }();
  return options;
}

bool pull_frames(nghttp2_session* session, byte_buffer& out) {
  while (out.size() < output_watermark) {
    const uint8_t* data = nullptr;
    ssize_t count = nghttp2_session_mem_send(session, &data);
    if (count < 0) return false;
    if (count == 0) break;
    out.append(std::span<const std::byte>{reinterpret_cast<const std::byte*>(data),
                                          static_cast<std::size_t>(count)});
  }
  return true;
}

ssize_t read_from_buffer(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                         uint32_t* data_flags, nghttp2_data_source* source, void*) {
  auto* body = static_cast<byte_buffer*>(source->ptr);
  std::size_t count = body->size() < length ? body->size() : length;
  if (count > 0) std::memcpy(buf, body->data().data(), count);
  body->consume(count);
  if (body->empty()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(count);
}

}  // namespace tr::transport::detail
