#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tr::api::detail {

/// The kind of host an authority names.
enum class host_kind { reg_name, ipv4, ipv6, ipv_future };

/// The parts of an absolute URI (RFC 3986 §3), as views into the parsed text.
struct uri {
  std::string_view scheme;
  bool has_authority = false;                ///< the hier-part starts with "//"
  std::optional<std::string_view> userinfo;  ///< before "@", if any
  std::string_view host;                     ///< an IP literal without its brackets
  host_kind kind = host_kind::reg_name;
  std::optional<std::string_view> port;  ///< digits after ":", possibly empty
  std::string_view path;
  std::optional<std::string_view> query;
  std::optional<std::string_view> fragment;
};

/// A parsed URI or the first reason the text is not an absolute URI.
struct uri_parse {
  std::optional<uri> value;
  std::string error;  ///< e.g. "invalid character ' ' in the path at character 24"
};

/// Parses `URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]` strictly: ASCII only,
/// every "%" followed by two hex digits, every character allowed in its component.
/// Relative references are refused. Policy (which schemes, whether a host is required) is the
/// caller's.
uri_parse parse_uri(std::string_view text);

/// True for an RFC 3986 `IPv4address` (dotted decimal, no leading zeros).
bool is_ipv4_address(std::string_view text) noexcept;

/// True for an RFC 3986 `IPv6address` (with "::" compression and an optional IPv4 tail).
bool is_ipv6_address(std::string_view text) noexcept;

}  // namespace tr::api::detail
