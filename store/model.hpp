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

/// A reference to an administrative domain: its group and its full name, whose `/` separators
/// make the hierarchy (`{"Region", "EMEA/France"}` lies below `{"Region", "EMEA"}`).
struct domain_ref {
  std::string group;
  std::string name;
  friend bool operator==(const domain_ref&, const domain_ref&) = default;
  friend auto operator<=>(const domain_ref&, const domain_ref&) = default;
};

/// A group of domains, made by an admin (`Region`, `Customer`). Its name is fixed once made.
struct domain_group {
  std::string name;         ///< 1..20 characters, no blank at either end; unique
  std::string description;  ///< optional
  std::string color;        ///< the console's badge colour, `#rrggbb`
  std::string created_at;   ///< server-set
  friend bool operator==(const domain_group&, const domain_group&) = default;
};

/// The badge colour of a group made without one.
inline constexpr std::string_view default_group_color = "#4a6fa5";

/// The group the migration from plain domain strings puts their domains in.
inline constexpr std::string_view migrated_group_name = "default";

/// An administrative domain in a group. Name and group are fixed once made; an inactive domain
/// keeps its associations but cannot be given to anything new.
struct domain {
  std::string group;
  std::string name;  ///< segments of 1..20 characters separated by `/`
  std::string description;
  bool active = true;
  std::string created_at;  ///< server-set
  friend bool operator==(const domain&, const domain&) = default;
};

/// What a user of the admin API may do.
enum class role {
  admin,                ///< everything: users, domains, every connection; never restricted
  connections_manager,  ///< reads and writes connections and device routes (within restrictions)
  viewer,               ///< reads (within restrictions), writes nothing
};

/// The wire name of a role: `admin`, `connections-manager` or `viewer`.
std::string_view to_string(role value) noexcept;

/// Parses the exact wire name; nullopt for anything else.
std::optional<role> parse_role(std::string_view text) noexcept;

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
  std::vector<domain_ref> domains;   ///< empty: cross-domain, visible to every user
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

/// Why a connection's AS_ID must be unique, as the admin API and the store say it.
inline constexpr std::string_view as_id_unique_reason =
    "downlinks are matched to a connection by AS_ID, which must be unique";

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
  std::vector<domain_ref> domains;  ///< restrictions; empty: not restricted (always, for an admin)
  std::string token_hash;           ///< SHA-256 of the token, 64 lower-case hex digits
  tr::store::role role = role::connections_manager;
  std::string created_at;
  friend bool operator==(const user&, const user&) = default;
};

/// A newly created user and its bearer token, the only time the token exists in clear.
struct created_user {
  tr::store::user user;
  std::string token;
};

}  // namespace tr::store
