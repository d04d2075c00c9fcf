#include "transport/detail/chunked_framing.hpp"

namespace tr::transport::detail {

namespace {

int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A size of 16 hex digits would overflow what http_parser takes anyway.
constexpr std::uint8_t max_size_digits = 15;

}  // namespace

std::size_t chunked_framing::feed(std::span<const std::byte> bytes) {
  std::size_t at = 0;
  while (at < bytes.size() && state_ != state::done && state_ != state::failed) {
    if (state_ == state::data) {
      std::uint64_t take = bytes.size() - at;
      if (take > size_) take = size_;
      size_ -= take;
      at += static_cast<std::size_t>(take);
      if (size_ == 0) state_ = state::data_cr;
      continue;
    }
    auto c = static_cast<unsigned char>(bytes[at++]);
    switch (state_) {
      case state::size_start:
      case state::size:
        if (int digit = hex_value(c); digit >= 0) {
          if (++digits_ > max_size_digits) {
            state_ = state::failed;
            break;
          }
          size_ = size_ * 16 + static_cast<std::uint64_t>(digit);
          state_ = state::size;
        } else if (state_ == state::size_start) {
          state_ = state::failed;
        } else if (c == '\r') {
          state_ = state::size_lf;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = state::extension;
        } else {
          state_ = state::failed;
        }
        break;
      case state::extension:
        if (c == '\r')
          state_ = state::size_lf;
        else if (c == '\n')
          state_ = state::failed;
        break;
      case state::size_lf:
        if (c != '\n') {
          state_ = state::failed;
        } else if (size_ == 0) {
          state_ = state::trailer_start;
        } else {
          state_ = state::data;
        }
        digits_ = 0;
        break;
      case state::data_cr:
        state_ = c == '\r' ? state::data_lf : state::failed;
        break;
      case state::data_lf:
        state_ = c == '\n' ? state::size_start : state::failed;
        break;
      case state::trailer_start:
        if (c == '\r')
          state_ = state::end_lf;
        else
          state_ = c == '\n' ? state::failed : state::trailer;
        break;
      case state::trailer:
        if (c == '\r')
          state_ = state::trailer_lf;
        else if (c == '\n')
          state_ = state::failed;
        break;
      case state::trailer_lf:
        state_ = c == '\n' ? state::trailer_start : state::failed;
        break;
      case state::end_lf:
        state_ = c == '\n' ? state::done : state::failed;
        break;
      default:
        break;
    }
  }
  return at;
}

}  // namespace tr::transport::detail
