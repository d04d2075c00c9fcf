#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/validation.hpp"
#include "store/model.hpp"

namespace tr::api::detail {

/// Builds compact JSON text; commas are placed by the writer.
class json_out {
 public:
  /// Starts `{`.
  json_out& begin_object();
  /// Ends `}`.
  json_out& end_object();
  /// Starts `[`.
  json_out& begin_array();
  /// Ends `]`.
  json_out& end_array();
  /// Writes an object key; the next call writes its value.
  json_out& key(std::string_view name);
  /// Writes an escaped string value.
  json_out& string(std::string_view text);
  /// Writes an integer value.
  json_out& number(std::int64_t value);
  /// Writes `true` or `false`.
  json_out& boolean(bool value);
  /// A number with at most two decimals (latencies in ms).
  json_out& decimal(double value);
  json_out& null();
  /// Writes an array of strings.
  json_out& strings(const std::vector<std::string>& items);
  /// The text written so far, moved out.
  std::string take() { return std::move(text_); }

 private:
  void separate();

  std::string text_;
  bool needs_comma_ = false;
};

/// What of a connection goes into its JSON.
enum class connection_fields {
  full,       ///< every field but the key
  read_only,  ///< url, headers and additionalInfo left out
  with_key,   ///< every field and the key (create only)
};

/// Writes a connection object.
void write_connection(json_out& out, const store::connection& value, connection_fields fields);

/// Writes an array of domain references `[{"group", "name"}, ...]`.
void write_domain_refs(json_out& out, const std::vector<store::domain_ref>& refs);

/// Writes a domain group `{"name", "description", "color", "createdAt"}`.
void write_domain_group(json_out& out, const store::domain_group& group);

/// Writes a domain `{"group", "name", "description", "active", "createdAt"}`.
void write_domain(json_out& out, const store::domain& value);

/// Writes a user `{"id", "name", "role", "domains", "createdAt"}` (never its token).
void write_user(json_out& out, const store::user& value);

/// Writes a device route object `{"devEUI", "connections"}`.
void write_device_route(json_out& out, const store::device_route& route);

/// `{"error": message}`.
std::string error_body(std::string_view message);

/// `{"errors": [{"field", "message"}, ...]}`.
std::string field_errors_body(const std::vector<field_error>& errors);

}  // namespace tr::api::detail
