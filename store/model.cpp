#include "store/model.hpp"

#include "store/result.hpp"

namespace tr::store {

std::string_view to_string(content_type type) noexcept {
  switch (type) {
    case content_type::xml:
      return "XML";
    case content_type::json:
      return "JSON";
    case content_type::json_untyped:
      return "JSON_UNTYPED";
  }
  return "JSON";
}

std::optional<content_type> parse_content_type(std::string_view text) noexcept {
  if (text == "XML") return content_type::xml;
  if (text == "JSON") return content_type::json;
  if (text == "JSON_UNTYPED") return content_type::json_untyped;
  return std::nullopt;
}

std::string_view to_string(role value) noexcept {
  switch (value) {
    case role::admin:
      return "admin";
    case role::connections_manager:
      return "connections-manager";
    case role::viewer:
      return "viewer";
  }
  return "viewer";
}

std::optional<role> parse_role(std::string_view text) noexcept {
  if (text == "admin") return role::admin;
  if (text == "connections-manager") return role::connections_manager;
  if (text == "viewer") return role::viewer;
  return std::nullopt;
}

const char* to_string(error_code code) noexcept {
  switch (code) {
    case error_code::not_found:
      return "not_found";
    case error_code::invalid_argument:
      return "invalid_argument";
    case error_code::unknown_connection:
      return "unknown_connection";
    case error_code::wrong_data_key:
      return "wrong_data_key";
    case error_code::bad_data_key:
      return "bad_data_key";
    case error_code::schema_too_new:
      return "schema_too_new";
    case error_code::reentrant_write:
      return "reentrant_write";
    case error_code::io_error:
      return "io_error";
    case error_code::unavailable:
      return "unavailable";
    case error_code::conflict:
      return "conflict";
    case error_code::changed_meanwhile:
      return "changed_meanwhile";
  }
  return "io_error";
}

}  // namespace tr::store
