#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tr::codecs::detail {

/// Lower-case hex digits.
inline constexpr char hex_digits[] = "0123456789abcdef";

/// Upper-case hex digits (percent-encoding).
inline constexpr char upper_hex_digits[] = "0123456789ABCDEF";

/// The value of a hex digit, or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// 1 for the bytes that are hex digits.
inline constexpr auto hex_digit_table = [] {
  struct table {
    bool is_digit[256];
  } t{};
  for (int c = 0; c < 256; ++c) t.is_digit[c] = hex_value(static_cast<char>(c)) >= 0;
  return t;
}();

#if defined(__SSE2__)
/// 0xff in each of the 16 bytes at `p` that is a hex digit, else 0.
inline __m128i hex_digits_at(const char* p) {
  __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // A byte in [low, low + n) moved to [-128, -128 + n) passes one signed comparison.
  __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(bytes, _mm_set1_epi8(static_cast<char>(0x80 - '0'))),
                                 _mm_set1_epi8(-128 + 10));
  __m128i lower = _mm_or_si128(bytes, _mm_set1_epi8(0x20));  // 'A'..'F' to 'a'..'f'
  __m128i letter = _mm_cmplt_epi8(_mm_add_epi8(lower, _mm_set1_epi8(static_cast<char>(0x80 - 'a'))),
                                  _mm_set1_epi8(-128 + 6));
  return _mm_or_si128(digit, letter);
}

/// is_hex for 16 bytes or more: 16 at a time, the last block overlapping the one before it, so
/// nothing outside `text` is read.
inline bool is_long_hex(std::string_view text) {
  const char* p = text.data();
  const char* const last = p + text.size() - 16;
  __m128i all = hex_digits_at(last);
  for (; p < last; p += 16) all = _mm_and_si128(all, hex_digits_at(p));
  return _mm_movemask_epi8(all) == 0xffff;
}
#endif

/// True if every character is a hex digit (true for empty text).
constexpr bool is_hex(std::string_view text) {
#if defined(__SSE2__)
  if (!std::is_constant_evaluated() && text.size() >= 16) return is_long_hex(text);
#endif
  bool all = true;
  for (char c : text) all &= hex_digit_table.is_digit[static_cast<unsigned char>(c)];
  return all;
}

/// ASCII lower case.
constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

/// Writes 2 * n lower-case hex digits of `bytes` to `out`.
inline void write_hex(const unsigned char* bytes, std::size_t n, char* out) {
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = hex_digits[bytes[i] >> 4];
    out[2 * i + 1] = hex_digits[bytes[i] & 0x0f];
  }
}

}  // namespace tr::codecs::detail
