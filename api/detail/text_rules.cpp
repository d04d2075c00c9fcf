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

std::optional<std::string> label_problem(std::string_view label) {
  if (label.empty()) return "has an empty label";
  if (label.size() > 63) return "has a label longer than 63 characters";
  if (label.front() == '-' || label.back() == '-')
    return "has a label that starts or ends with '-'";
  for (char c : label)
    if (!is_alpha(c) && !is_digit(c) && c != '-')
      return c == '*' ? std::string{"must not contain wildcards"}
                      : "has a character other than letters, digits and '-'";
  return std::nullopt;
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

std::optional<std::string> domain_name_problem(std::string_view text) {
  if (text.empty()) return "is empty";
  if (text.size() > 253) return "is longer than 253 characters";
  if (text.back() == '.') return "must not end with '.'";
  std::size_t labels = 0;
  std::string_view last;
  for (std::size_t start = 0;;) {
    auto dot = text.find('.', start);
    last = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (auto problem = label_problem(last)) return problem;
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2) return "is not a full domain name (at least two labels, such as example.com)";
  bool numeric = true;
  for (char c : last) numeric = numeric && is_digit(c);
  if (numeric) return "has an all-numeric top-level label (an IP address is not a domain name)";
  return std::nullopt;
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
