#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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

/// True if every character is a hex digit (true for empty text).
constexpr bool is_hex(std::string_view text) {
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
