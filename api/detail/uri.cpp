#include "api/detail/uri.hpp"

#include "api/detail/char_classes.hpp"

#include <cstdio>
#include <vector>

namespace tr::api::detail {

namespace {

bool is_unreserved(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool is_sub_delim(char c) noexcept {
  switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
      return true;
    default:
      return false;
  }
}

/// How a character looks in a message: 'x', or \xNN for what cannot be printed.
std::string shown(char c) {
  auto byte = static_cast<unsigned char>(c);
  if (byte == ' ') return "' ' (space)";
  if (byte > 0x20 && byte < 0x7f) return std::string{"'"} + c + "'";
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\x%02X", byte);
  return buffer;
}

/// Checks that `part` (at `offset` in the whole text) holds only unreserved characters,
/// sub-delims, percent-escapes and the `extra` characters; returns the first problem.
std::optional<std::string> check_chars(std::string_view part, std::size_t offset,
                                       std::string_view extra, const char* component) {
  for (std::size_t i = 0; i < part.size(); ++i) {
    char c = part[i];
    auto position = std::to_string(offset + i + 1);
    if (c == '%') {
      if (i + 2 >= part.size() || !is_hex(part[i + 1]) || !is_hex(part[i + 2]))
        return "bad percent-escape in the " + std::string{component} + " at character " + position +
               " ('%' must be followed by two hex digits)";
      i += 2;
      continue;
    }
    if (!is_unreserved(c) && !is_sub_delim(c) && extra.find(c) == std::string_view::npos)
      return "invalid character " + shown(c) + " in the " + component + " at character " + position;
  }
  return std::nullopt;
}

bool is_h16(std::string_view text) noexcept {
  if (text.empty() || text.size() > 4) return false;
  for (char c : text)
    if (!is_hex(c)) return false;
  return true;
}

/// Splits on ':'; an empty input gives no groups.
std::vector<std::string_view> groups_of(std::string_view text) {
  std::vector<std::string_view> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    auto colon = text.find(':', start);
    out.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos) return out;
    start = colon + 1;
  }
}

bool is_ipv_future(std::string_view text) noexcept {
  // "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
  if (text.size() < 4 || (text[0] != 'v' && text[0] != 'V')) return false;
  auto dot = text.find('.');
  if (dot == std::string_view::npos || dot < 2 || dot + 1 == text.size()) return false;
  for (std::size_t i = 1; i < dot; ++i)
    if (!is_hex(text[i])) return false;
  for (std::size_t i = dot + 1; i < text.size(); ++i)
    if (!is_unreserved(text[i]) && !is_sub_delim(text[i]) && text[i] != ':') return false;
  return true;
}

/// Parses `[ userinfo "@" ] host [ ":" port ]` into `out`.
std::optional<std::string> parse_authority(std::string_view authority, std::size_t offset,
                                           uri& out) {
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    out.userinfo = authority.substr(0, at);
    if (auto problem = check_chars(*out.userinfo, offset, ":", "userinfo")) {
      if (out.userinfo->find('@') != std::string_view::npos)
        return "the userinfo contains '@' (write it as %40)";
      return problem;
    }
    offset += at + 1;
    authority.remove_prefix(at + 1);
  }
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return "the IP literal has no closing ']'";
    out.host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
    if (is_ipv6_address(out.host)) {
      out.kind = host_kind::ipv6;
    } else if (is_ipv_future(out.host)) {
      out.kind = host_kind::ipv_future;
    } else {
      return "'[" + std::string{out.host} + "]' is not an IPv6 address";
    }
    if (!rest.empty() && rest.front() != ':')
      return "unexpected " + shown(rest.front()) + " after the IP literal";
  } else {
    auto colon = authority.find(':');
    out.host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
    out.kind = is_ipv4_address(out.host) ? host_kind::ipv4 : host_kind::reg_name;
    if (auto problem = check_chars(out.host, offset, "", "host")) return problem;
  }
  if (!rest.empty()) {
    out.port = rest.substr(1);
    for (char c : *out.port)
      if (!is_digit(c)) return "the port '" + std::string{*out.port} + "' is not a number";
  }
  return std::nullopt;
}

}  // namespace

bool is_ipv4_address(std::string_view text) noexcept {
  int octets = 0;
  std::size_t i = 0;
  while (octets < 4) {
    std::size_t start = i;
    while (i < text.size() && is_digit(text[i]) && i - start < 3) ++i;
    auto octet = text.substr(start, i - start);
    if (octet.empty() || (octet.size() > 1 && octet[0] == '0')) return false;
    int value = 0;
    for (char c : octet) value = value * 10 + (c - '0');
    if (value > 255) return false;
    if (++octets < 4) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  return i == text.size();
}

bool is_ipv6_address(std::string_view text) noexcept {
  auto gap = text.find("::");
  auto left = gap == std::string_view::npos ? text : text.substr(0, gap);
  auto right = gap == std::string_view::npos ? std::string_view{} : text.substr(gap + 2);
  if (right.find("::") != std::string_view::npos) return false;
  auto head = groups_of(left);
  auto tail = groups_of(right);
  auto& last_part = gap == std::string_view::npos ? head : tail;

  std::size_t count = 0;
  for (auto* part : {&head, &tail}) {
    for (std::size_t i = 0; i < part->size(); ++i) {
      auto group = (*part)[i];
      bool is_last = part == &last_part && i + 1 == part->size();
      if (is_last && is_ipv4_address(group)) {
        count += 2;
      } else if (is_h16(group)) {
        count += 1;
      } else {
        return false;
      }
    }
  }
  return gap == std::string_view::npos ? count == 8 : count <= 7;
}

uri_parse parse_uri(std::string_view text) {
  if (text.empty()) return {std::nullopt, "it is empty"};
  uri out;
  auto colon = text.find(':');
  bool scheme_ok = colon != std::string_view::npos && colon > 0 && is_alpha(text[0]);
  for (std::size_t i = 1; scheme_ok && i < colon; ++i) {
    char c = text[i];
    scheme_ok = is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
  }
  if (!scheme_ok) return {std::nullopt, "it has no scheme such as 'https:' (a relative reference)"};
  out.scheme = text.substr(0, colon);
  std::size_t offset = colon + 1;
  auto rest = text.substr(offset);

  if (auto hash = rest.find('#'); hash != std::string_view::npos) {
    out.fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
  }
  if (auto question = rest.find('?'); question != std::string_view::npos) {
    out.query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  if (rest.starts_with("//")) {
    out.has_authority = true;
    auto slash = rest.find('/', 2);
    auto authority = rest.substr(2, slash == std::string_view::npos ? slash : slash - 2);
    if (auto problem = parse_authority(authority, offset + 2, out)) return {std::nullopt, *problem};
    offset += 2 + authority.size();
    rest = rest.substr(2 + authority.size());
  }
  // Checked left to right, so the first problem reported is the leftmost.
  out.path = rest;
  if (auto problem = check_chars(out.path, offset, ":@/", "path")) return {std::nullopt, *problem};
  offset += out.path.size() + 1;
  if (out.query) {
    if (auto problem = check_chars(*out.query, offset, ":@/?", "query"))
      return {std::nullopt, *problem};
    offset += out.query->size() + 1;
  }
  if (out.fragment) {
    if (auto problem = check_chars(*out.fragment, offset, ":@/?", "fragment"))
      return {std::nullopt, *problem};
  }
  return {out, {}};
}

}  // namespace tr::api::detail
