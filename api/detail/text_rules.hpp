#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tr::api::detail {

/// True for an RFC 7230 `token` (1*tchar), the grammar of a header name.
bool is_token(std::string_view text) noexcept;

/// Why `text` is not an RFC 7230 `field-value` (VCHAR and obs-text, inner SP/HTAB), or nullopt.
/// CR, LF, NUL and every other control character are refused, as are leading and trailing
/// blanks (a receiver would strip them and see another value).
std::optional<std::string> field_value_problem(std::string_view text);

/// Why `text` is not a name part (a group name, a domain segment): 1..max_characters
/// characters, no control character, no blank at either end, not `.` or `..` (names travel in
/// URL paths, where those are dot segments); nullopt when it is.
std::optional<std::string> name_part_problem(std::string_view text, std::size_t max_characters);

/// Why `text` is not a domain path (name parts separated by `/`), or nullopt.
std::optional<std::string> domain_path_problem(std::string_view text,
                                               std::size_t max_segment_characters);

/// `text` as an error message quotes it: at most `max_bytes` bytes, cut at a character
/// boundary and ended with "…" when longer (an answer never repeats a long input whole).
std::string shown(std::string_view text, std::size_t max_bytes = 64);

/// The number of characters: bytes, except that UTF-8 continuation bytes are not counted.
std::size_t character_count(std::string_view text) noexcept;

/// True when the text holds a control character (below 0x20, or DEL).
bool has_control_character(std::string_view text) noexcept;

/// True when the text is empty or only blanks.
bool is_blank(std::string_view text) noexcept;

/// ASCII lower case of the text.
std::string to_lower(std::string_view text);

/// The key in lower case when it is 32 hex digits; nullopt otherwise. (A local twin of the key
/// normalization of codecs/; unify once that has landed.)
std::optional<std::string> normalize_key(std::string_view key);

}  // namespace tr::api::detail
