#pragma once

// The character classes of RFC 3986 and RFC 7230 (ASCII only), shared by the form rules.

namespace tr::api::detail {

/// ALPHA.
constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// DIGIT.
constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// HEXDIG, either case.
constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace tr::api::detail
