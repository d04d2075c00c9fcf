#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tr::store {

/// The body encoding a connection's AS receives (docs/protocol.md §2).
enum class content_type {
  xml,           ///< `XML`
  json,          ///< `JSON`
  json_untyped,  ///< `JSON_UNTYPED`: every scalar rendered as a string
};

/// The wire name of a content type: `XML`, `JSON` or `JSON_UNTYPED`.
std::string_view to_string(content_type type) noexcept;

/// Parses the exact wire name (case-sensitive); nullopt for anything else.
std::optional<content_type> parse_content_type(std::string_view text) noexcept;

/// One custom HTTP header sent with every uplink of a connection.
struct header {
  std::string name;
  std::string value;
  friend bool operator==(const header&, const header&) = default;
};

/// The project default of a connection's max time deviation, in seconds.
inline constexpr std::int64_t default_max_time_deviation_s = 60;

/// A configured NS–AS tunnel ("basic HTTPS connection", docs/protocol.md §1).
///
/// Ids are 16 lower-case hex digits (64 random bits from the CSPRNG): short enough for metric
/// labels and URLs, and collisions are checked at insert. Timestamps are UTC, ISO 8601 with
/// milliseconds (`2024-05-01T12:00:00.123Z`). The store checks integrity (id, key format) only;
/// the form rules of an operator's input live in tr::api::validate_connection.
struct connection {
  std::string id;                    ///< server-set, 16 lower-case hex digits
  std::string name;                  ///< friendly name
  std::vector<std::string> domains;  ///< empty: cross-domain, visible to every user
  std::string url;                   ///< absolute https (or http) URL of the AS
  content_type type = content_type::json;
  std::string as_id;            ///< AS_ID sent in uplinks, required in downlinks
  std::vector<header> headers;  ///< at most 5 custom headers
  std::string additional_info;  ///< free text
  std::int64_t max_time_deviation_s = default_max_time_deviation_s;
  bool paused = false;     ///< uplinks are not sent (counted as `paused`); downlinks still pass
  std::string key;         ///< 32 lower-case hex digits; encrypted at rest
  std::string created_at;  ///< server-set
  std::string updated_at;  ///< server-set
  friend bool operator==(const connection&, const connection&) = default;
};

/// The connections a device's reports go to. DevEUIs are 16 upper-case hex digits.
struct device_route {
  std::string dev_eui;
  std::vector<std::string> connection_ids;  ///< sorted, without duplicates
  friend bool operator==(const device_route&, const device_route&) = default;
};

/// A user of the admin API. Only the SHA-256 of its bearer token is kept.
struct user {
  std::string id;  ///< 16 lower-case hex digits
  std::string name;
  std::vector<std::string> domains;  ///< empty: not restricted to domains
  std::string token_hash;            ///< SHA-256 of the token, 64 lower-case hex digits
  bool is_admin = false;
  std::string created_at;
  friend bool operator==(const user&, const user&) = default;
};

/// A newly created user and its bearer token, the only time the token exists in clear.
struct created_user {
  tr::store::user user;
  std::string token;
};

}  // namespace tr::store
