#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/model.hpp"

namespace tr::api {

// Validation of the connection form (docs/protocol.md §1).
//
// Every failing field is reported at once, with a path such as `name`, `url`, `contentType`,
// `asId`, `domains[0]`, `headers` (the count), `headers[1]` (name + value length),
// `headers[1].name`, `headers[1].value`, `key`, `maxTimeDeviation`, `additionalInfo`.
// The rules, including the project's decisions where the spec is silent:
// - name: mandatory, not blank, no control characters, at most 200 characters.
// - url: mandatory, an absolute URI per RFC 3986 (parsed strictly: ASCII only, valid
//   percent-escapes, every character allowed in its component), with an authority and a
//   non-empty host (reg-name, IPv4 or [IPv6]); scheme https, or http when allow_http is set;
//   userinfo allowed; a port, if written, is 1..65535; no fragment (it is never sent); at most
//   2048 characters; an address literal the destination policy refuses (check_destination).
// - contentType: mandatory, exactly `XML`, `JSON` or `JSON_UNTYPED`.
// - asId: mandatory, 1..128 printable ASCII characters without spaces (it travels in every
//   uplink and is required in every downlink).
// - headers: at most 5; name an RFC 7230 token, not one of Accept, Host, User-Agent,
//   Content-Length, Content-Type, Expect, Proxy-Authorization, nor a connection field
//   (Connection, Transfer-Encoding, Keep-Alive, Upgrade, TE, Proxy-Connection), each name once (any
//   case); value an RFC 7230 field-value (no CR, LF, NUL or other control character except
//   HTAB, no leading or trailing blank); name + value at most 510 characters.
// - domains: each a reference `{"group", "name"}` to an administrative domain: group a name
//   part (1..20 characters, no control character, no blank at either end), name name parts
//   separated by `/`; no reference twice. Which domains a user may give (they exist, are
//   active, lie within its restrictions, one per group) is checked by
//   tr::api::check_domain_assignment against the stored domains.
// - key: optional; 32 hex digits, normalized to lower case. Absent: the store generates one.
// - maxTimeDeviation: optional (default 60); whole seconds from 1 to 3600.
// - additionalInfo: optional free text, at most 4096 characters.

/// One failing field: its path and a message for a human.
struct field_error {
  std::string field;
  std::string message;
  friend bool operator==(const field_error&, const field_error&) = default;
};

/// A custom header as the form gives it.
struct header_form {
  std::string name;
  std::string value;
};

/// The connection form as received: absent fields are nullopt.
struct connection_form {
  std::optional<std::string> name;
  std::optional<std::vector<store::domain_ref>> domains;
  std::optional<std::string> url;
  std::optional<std::string> content_type;
  std::optional<std::string> as_id;
  std::optional<std::vector<header_form>> headers;
  std::optional<std::string> additional_info;
  std::optional<std::int64_t> max_time_deviation;
  std::optional<bool> paused;  ///< pause / resume (absent: not paused, or kept by a PATCH)
  std::optional<std::string> key;
  /// Fields the decoder could not read (wrong JSON type, unknown field). They are reported as
  /// they are, and no other message is added for the same path.
  std::vector<field_error> malformed;
};

/// Switches of the validation.
struct validation_options {
  bool allow_http = false;  ///< as.allow_http: accept `http://` URLs
  /// Why the router will not connect to an address literal and port (as.deny_networks, its
  /// own listeners), or nullopt; empty: every address is accepted.
  std::function<std::optional<std::string>(std::string_view host, std::uint16_t port)>
      check_destination;
};

/// The outcome: the normalized connection (id and timestamps empty; key empty unless given),
/// or every failing field.
struct connection_validation {
  store::connection value;
  std::vector<field_error> errors;
  /// True when nothing failed.
  bool ok() const noexcept { return errors.empty(); }
};

inline constexpr std::size_t max_name_characters = 200;
inline constexpr std::size_t max_url_characters = 2048;
inline constexpr std::size_t max_as_id_characters = 128;
inline constexpr std::size_t max_custom_headers = 5;
inline constexpr std::size_t max_header_characters = 510;
inline constexpr std::size_t max_additional_info_characters = 4096;
inline constexpr std::int64_t min_max_time_deviation_s = 1;
inline constexpr std::int64_t max_max_time_deviation_s = 3600;
inline constexpr std::size_t max_group_name_characters = 20;
inline constexpr std::size_t max_domain_segment_characters = 20;
/// Domain references a connection or a user may hold (more are refused before any other check
/// of them, which keeps a large form's checks cheap).
inline constexpr std::size_t max_domain_refs = 256;

/// Validates a connection form against every rule above.
connection_validation validate_connection(const connection_form& form,
                                          const validation_options& options = {});

/// The form of a stored connection (key left out), the base of a partial update.
connection_form form_of(const store::connection& value);

/// Lays the fields present in `patch` over `base` (PATCH semantics).
void overlay(connection_form& base, const connection_form& patch);

/// The item part of a field path: `domains[1]` of `domains[1].name`; the path without `[`.
std::string_view item_of(std::string_view field);

/// True when `errors` already hold an error about the item of `field` (`domains[1]...`).
bool has_item_error(const std::vector<field_error>& errors, std::string_view field);

/// Checks the form of domain references (`domains[i].group`, `domains[i].name`, duplicates);
/// over max_domain_refs, only that.
void check_domain_refs(const std::vector<store::domain_ref>& refs,
                       std::vector<field_error>& errors);

/// The user form of `POST /api/v1/users`.
struct user_form {
  std::optional<std::string> name;
  std::optional<std::string> role;
  std::optional<std::vector<store::domain_ref>> domains;
  std::vector<field_error> malformed;  ///< as in connection_form
};

/// The outcome: the normalized user, or every failing field.
struct user_validation {
  std::string name;
  store::role role = store::role::connections_manager;
  std::vector<store::domain_ref> domains;
  std::vector<field_error> errors;
  /// True when nothing failed.
  bool ok() const noexcept { return errors.empty(); }
};

/// Validates a user form: name as a connection's; role `admin`, `connections-manager` (when
/// absent) or `viewer`; domains as a connection's references, none for an admin.
user_validation validate_user(const user_form& form);

}  // namespace tr::api
