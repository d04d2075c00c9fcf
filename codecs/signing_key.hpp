#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codecs/error.hpp"

namespace tr::codecs {

/// A tunnel interface authentication key: the text the token hashes. A key enters the system
/// normalized (32 hex digits, lower case), whether generated, pasted by a user or given on a
/// command line.
class signing_key {
 public:
  /// Number of hex digits of a key.
  static constexpr std::size_t size = 32;

  /// An empty key.
  signing_key() = default;

  /// Normalizes a key: exactly 32 hex digits in any case, returned in lower case.
  static result<signing_key> parse(std::string_view text);

  /// A new key: 128 bits from OpenSSL's CSPRNG (RAND_bytes) as 32 lower-case hex digits.
  static result<signing_key> generate();

  /// A key hashed exactly as given (32 characters, not normalized). Only for reproducing
  /// published vectors made with a key in mixed case.
  static result<signing_key> verbatim(std::string_view text);

  /// The key text.
  std::string_view text() const { return {text_.data(), length_}; }

  /// True for the default-constructed key.
  bool empty() const { return length_ == 0; }

  friend bool operator==(const signing_key& a, const signing_key& b) {
    return a.text() == b.text();
  }

 private:
  std::array<char, size> text_{};
  std::uint8_t length_ = 0;
};

}  // namespace tr::codecs
