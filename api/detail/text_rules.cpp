#include "api/detail/text_rules.hpp"

#include "api/detail/char_classes.hpp"

namespace tr::api::detail {

namespace {

bool is_tchar(char c) noexcept {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace

bool is_token(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (char c : text)
    if (!is_tchar(c)) return false;
  return true;
}

std::optional<std::string> field_value_problem(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte == '\r' || byte == '\n') return "must not contain CR or LF";
    if (byte == 0) return "must not contain NUL";
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return "must not contain control characters";
  }
  if (!text.empty()) {
    auto edge = [](char c) { return c == ' ' || c == '\t'; };
    if (edge(text.front()) || edge(text.back())) return "must not start or end with blanks";
  }
  return std::nullopt;
}

std::optional<std::string> name_part_problem(std::string_view text, std::size_t max_characters) {
  if (text.empty()) return "is empty";
  if (has_control_character(text)) return "must not contain control characters";
  auto edge = [](char c) { return c == ' ' || c == '\t'; };
  if (edge(text.front()) || edge(text.back())) return "must not start or end with blanks";
  // A URL path drops these (the console's, a browser's), so such a name could not be reached.
  if (text == "." || text == "..") return "must not be '.' or '..'";
  if (character_count(text) > max_characters)
    return "is longer than " + std::to_string(max_characters) + " characters";
  return std::nullopt;
}

std::optional<std::string> domain_path_problem(std::string_view text,
                                               std::size_t max_segment_characters) {
  if (text.empty()) return "is empty";
  for (std::size_t start = 0, position = 1;; ++position) {
    auto slash = text.find('/', start);
    auto segment = text.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (auto problem = name_part_problem(segment, max_segment_characters))
      return "segment " + std::to_string(position) + " ('" + shown(segment) + "') " + *problem;
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
}

std::string shown(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string{text};
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return std::string{text.substr(0, cut)} + "\u2026";
}

std::size_t character_count(std::string_view text) noexcept {
  std::size_t count = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++count;
  return count;
}

bool has_control_character(std::string_view text) noexcept {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

bool is_blank(std::string_view text) noexcept {
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  return true;
}

std::string to_lower(std::string_view text) {
  std::string out{text};
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<std::string> normalize_key(std::string_view key) {
  if (key.size() != 32) return std::nullopt;
  for (char c : key)
    if (!is_hex(c)) return std::nullopt;
  return to_lower(key);
}

}  // namespace tr::api::detail
