#include "api/validation_json.hpp"

#include <simdjson.h>

namespace tr::api {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

/// Parses the body into a JSON object, or records why not.
std::optional<simdjson::dom::object> parse_object(std::string_view json,
                                                  std::vector<field_error>& malformed) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded{json};
  element root;
  if (auto failure = parser.parse(padded).get(root)) {
    malformed.push_back(
        {"body", std::string{"is not valid JSON: "} + simdjson::error_message(failure)});
    return std::nullopt;
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    malformed.push_back({"body", "must be a JSON object"});
    return std::nullopt;
  }
  return object;
}

/// Reads a string field; null leaves it absent.
void read_string(element value, std::string_view path, std::optional<std::string>& into,
                 std::vector<field_error>& malformed) {
  if (value.is_null()) return;
  std::string_view text;
  if (value.get_string().get(text)) {
    malformed.push_back({std::string{path}, "must be a string"});
    return;
  }
  into = std::string{text};
}

/// Reads an array of domain references `{"group", "name"}`; a bad item keeps its place as an
/// empty reference and is reported.
void read_domain_refs(element value, std::optional<std::vector<store::domain_ref>>& into,
                      std::vector<field_error>& malformed) {
  if (value.is_null()) return;
  simdjson::dom::array array;
  if (value.get_array().get(array)) {
    malformed.push_back({"domains", R"(must be an array of {"group", "name"} objects)"});
    return;
  }
  into.emplace();
  std::size_t i = 0;
  for (element item : array) {
    auto path = "domains[" + std::to_string(i++) + "]";
    auto& ref = into->emplace_back();
    simdjson::dom::object object;
    if (item.get_object().get(object)) {
      malformed.push_back({path, R"(must be an object {"group", "name"})"});
      continue;
    }
    for (auto [key, field] : object) {
      std::optional<std::string> text;
      if (key == "group" || key == "name") {
        read_string(field, path + "." + std::string{key}, text, malformed);
        (key == "group" ? ref.group : ref.name) = text.value_or("");
      } else if (key != "description" && key != "active" && key != "color") {
        // A domain as the API answers it may be sent back whole; its other fields are ignored.
        malformed.push_back({path + "." + std::string{key}, "unknown field"});
      }
    }
  }
}

void read_headers(element value, std::optional<std::vector<header_form>>& into,
                  std::vector<field_error>& malformed) {
  if (value.is_null()) return;
  simdjson::dom::array array;
  if (value.get_array().get(array)) {
    malformed.push_back({"headers", "must be an array of {\"name\", \"value\"} objects"});
    return;
  }
  into.emplace();
  std::size_t i = 0;
  for (element item : array) {
    auto path = "headers[" + std::to_string(i++) + "]";
    auto& header = into->emplace_back();
    simdjson::dom::object object;
    if (item.get_object().get(object)) {
      malformed.push_back({path, "must be an object with name and value"});
      continue;
    }
    for (auto [key, field] : object) {
      std::optional<std::string> text;
      if (key == "name" || key == "value") {
        read_string(field, path + "." + std::string{key}, text, malformed);
        (key == "name" ? header.name : header.value) = text.value_or("");
      } else {
        malformed.push_back({path + "." + std::string{key}, "unknown field"});
      }
    }
  }
}

void read_seconds(element value, std::optional<std::int64_t>& into,
                  std::vector<field_error>& malformed) {
  if (value.is_null()) return;
  std::int64_t seconds = 0;
  if (value.type() == element_type::INT64 && !value.get_int64().get(seconds)) {
    into = seconds;
  } else if (value.type() == element_type::UINT64) {
    malformed.push_back({"maxTimeDeviation", "is out of range"});
  } else {
    malformed.push_back({"maxTimeDeviation", "must be a whole number of seconds"});
  }
}

void read_flag(element value, std::string_view key, std::optional<bool>& into,
               std::vector<field_error>& malformed) {
  if (value.is_null()) return;
  bool flag = false;
  if (value.get_bool().get(flag))
    malformed.push_back({std::string{key}, "must be true or false"});
  else
    into = flag;
}

bool is_server_set(std::string_view key) {
  return key == "id" || key == "createdAt" || key == "updatedAt";
}

}  // namespace

connection_form parse_connection_form(std::string_view json) {
  connection_form form;
  auto object = parse_object(json, form.malformed);
  if (!object) return form;
  auto& malformed = form.malformed;
  for (auto [key, value] : *object) {
    if (key == "name")
      read_string(value, key, form.name, malformed);
    else if (key == "url")
      read_string(value, key, form.url, malformed);
    else if (key == "contentType")
      read_string(value, key, form.content_type, malformed);
    else if (key == "asId")
      read_string(value, key, form.as_id, malformed);
    else if (key == "additionalInfo")
      read_string(value, key, form.additional_info, malformed);
    else if (key == "key")
      read_string(value, key, form.key, malformed);
    else if (key == "domains")
      read_domain_refs(value, form.domains, malformed);
    else if (key == "headers")
      read_headers(value, form.headers, malformed);
    else if (key == "maxTimeDeviation")
      read_seconds(value, form.max_time_deviation, malformed);
    else if (key == "paused")
      read_flag(value, key, form.paused, malformed);
    else if (!is_server_set(key))
      malformed.push_back({std::string{key}, "unknown field"});
  }
  return form;
}

user_form parse_user_form(std::string_view json) {
  user_form form;
  auto object = parse_object(json, form.malformed);
  if (!object) return form;
  for (auto [key, value] : *object) {
    if (key == "name")
      read_string(value, key, form.name, form.malformed);
    else if (key == "role")
      read_string(value, key, form.role, form.malformed);
    else if (key == "domains")
      read_domain_refs(value, form.domains, form.malformed);
    else if (!is_server_set(key))
      form.malformed.push_back({std::string{key}, "unknown field"});
  }
  return form;
}

domain_group_form parse_domain_group_form(std::string_view json) {
  domain_group_form form;
  auto object = parse_object(json, form.malformed);
  if (!object) return form;
  for (auto [key, value] : *object) {
    if (key == "name")
      read_string(value, key, form.name, form.malformed);
    else if (key == "description")
      read_string(value, key, form.description, form.malformed);
    else if (key == "color")
      read_string(value, key, form.color, form.malformed);
    else if (!is_server_set(key))
      form.malformed.push_back({std::string{key}, "unknown field"});
  }
  return form;
}

domain_form parse_domain_form(std::string_view json) {
  domain_form form;
  auto object = parse_object(json, form.malformed);
  if (!object) return form;
  for (auto [key, value] : *object) {
    if (key == "group")
      read_string(value, key, form.group, form.malformed);
    else if (key == "name")
      read_string(value, key, form.name, form.malformed);
    else if (key == "description")
      read_string(value, key, form.description, form.malformed);
    else if (key == "active")
      read_flag(value, key, form.active, form.malformed);
    else if (!is_server_set(key))
      form.malformed.push_back({std::string{key}, "unknown field"});
  }
  return form;
}

}  // namespace tr::api
