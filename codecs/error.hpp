#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace tr::codecs {

/// What went wrong while decoding or validating bytes from a peer.
enum class errc : std::uint8_t {
  none = 0,                ///< no error
  empty_input,             ///< the body is empty or only whitespace
  unknown_format,          ///< the body starts with neither `{` (JSON) nor `<` (XML)
  document_too_large,      ///< the body exceeds report_limits::max_document_bytes
  document_too_complex,    ///< nesting deeper than max_depth or more nodes than max_nodes
  malformed_json,          ///< not valid JSON: truncated, bad token, bad escape, trailing content
  malformed_xml,           ///< not well-formed XML, or a construct this reader refuses (DOCTYPE)
  wrong_root,              ///< the root is not an object holding exactly one report object
  unknown_report_type,     ///< the root key is none of the four report types
  invalid_field_name,      ///< a field name cannot be an XML element name (or is too long)
  wrong_type,              ///< a field has the wrong type (e.g. DevEUI as a number)
  missing_field,           ///< a required field (DevEUI) is absent
  duplicate_field,         ///< a field the token covers appears twice
  field_too_large,         ///< a string beyond its limit (payload_hex, any string)
  invalid_dev_eui,         ///< DevEUI is not 16 hex digits
  invalid_number,          ///< FPort, FCntUp or FCntDn is not a decimal integer in range
  invalid_hex,             ///< payload_hex is not an even number of hex digits
  invalid_key,             ///< a tunnel key is not 32 hex digits
  invalid_percent_escape,  ///< `%` not followed by two hex digits
  invalid_query,           ///< a query parameter is missing, repeated, unknown or misplaced
  invalid_time,            ///< not an ISO 8601 time with offset, or out of range
  crypto_failure,          ///< OpenSSL failed (no random bytes)
};

/// The name of an error code, e.g. "invalid_dev_eui".
std::string_view to_string(errc code);

/// An error code with a one-line message naming the problem. Holds its text inline: building or
/// copying one never allocates. A default-constructed error means success.
class error {
 public:
  /// Success. User-provided so that `return {};` leaves the text buffer untouched instead of
  /// zero-filling it (value-initialization of a defaulted constructor would).
  error() noexcept {}

  /// An error whose message is the concatenation of up to three parts (cut at capacity).
  error(errc code, std::string_view part1, std::string_view part2 = {},
        std::string_view part3 = {});

  /// True when this is not an error.
  bool ok() const { return code_ == errc::none; }

  /// The code; errc::none on success.
  errc code() const { return code_; }

  /// The one-line message; empty on success.
  std::string_view message() const { return {text_, size_}; }

 private:
  static constexpr std::size_t capacity = 118;
  char text_[capacity];
  std::uint8_t size_ = 0;
  errc code_ = errc::none;
};

/// A value or an error, for functions that produce a value.
template <class T>
class result {
 public:
  /// A result holding a value.
  result(T value) : value_(std::move(value)) {}

  /// A failed result; `failure` must not be a success.
  result(codecs::error failure) : error_(failure) {}

  /// True when a value is held.
  bool ok() const { return error_.ok(); }
  explicit operator bool() const { return ok(); }

  /// The value; meaningful only when ok().
  const T& value() const& { return value_; }
  T& value() & { return value_; }
  const T& operator*() const& { return value_; }
  const T* operator->() const { return &value_; }

  /// The error; a success when ok().
  const codecs::error& error() const { return error_; }

 private:
  T value_{};
  codecs::error error_;
};

}  // namespace tr::codecs
