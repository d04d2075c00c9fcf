#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tr::transport::detail {

/// Checks the framing of a chunked request body strictly (RFC 9112 §7.1), byte by byte, beside
/// http_parser, which reads the same bytes but is lenient where it matters for smuggling: it
/// takes any byte as the CR LF after chunk data, and any byte after the CR that ends a size line
/// or the trailer section. Here each of those must be exactly CR LF; a size line is hex digits,
/// then optional whitespace or an extension (no bare CR or LF); trailer lines end with CR LF.
/// It reads from the first byte of the body to the end of the trailer section and no further.
class chunked_framing {
 public:
  /// Starts a new body.
  void reset() {
    state_ = state::size_start;
    size_ = 0;
    digits_ = 0;
  }

  /// Reads the next bytes of the stream; returns how many belong to the body (the rest is the
  /// next request). Once failed() or done(), reads nothing more.
  std::size_t feed(std::span<const std::byte> bytes);

  /// The framing is broken.
  bool failed() const { return state_ == state::failed; }

  /// The body, trailers included, was read whole.
  bool done() const { return state_ == state::done; }

 private:
  enum class state : std::uint8_t {
    size_start,     // the first hex digit of a size line
    size,           // more hex digits
    extension,      // whitespace or ";..." up to CR
    size_lf,        // the LF after a size line's CR
    data,           // size_ bytes of data
    data_cr,        // CR after the data
    data_lf,        // LF after it
    trailer_start,  // a trailer line, or CR for the end
    trailer,        // inside a trailer line
    trailer_lf,     // the LF ending a trailer line
    end_lf,         // the LF of the final CR LF
    done,
    failed,
  };

  state state_ = state::size_start;
  std::uint64_t size_ = 0;  // the current chunk's size, then its bytes still to come
  std::uint8_t digits_ = 0;
};

}  // namespace tr::transport::detail
