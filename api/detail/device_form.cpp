#include "api/detail/device_form.hpp"

#include <simdjson.h>

namespace tr::api::detail {

namespace {

void read_connections(simdjson::dom::element value, device_form& form) {
  if (value.is_null()) return;
  simdjson::dom::array array;
  if (value.get_array().get(array)) {
    form.errors.push_back({"connections", "must be an array of connection ids"});
    return;
  }
  form.connections.emplace();
  std::size_t i = 0;
  for (auto item : array) {
    std::string_view id;
    if (item.get_string().get(id))
      form.errors.push_back({"connections[" + std::to_string(i) + "]", "must be a string"});
    form.connections->emplace_back(id);
    ++i;
  }
}

}  // namespace

device_form parse_device_form(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  device_form form;
  simdjson::padded_string padded{json};
  simdjson::dom::element root;
  if (auto failure = parser.parse(padded).get(root)) {
    form.errors.push_back(
        {"body", std::string{"is not valid JSON: "} + simdjson::error_message(failure)});
    return form;
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    form.errors.push_back({"body", "must be a JSON object"});
    return form;
  }
  for (auto [key, value] : object) {
    if (key == "devEUI") {
      std::string_view text;
      if (value.is_null()) continue;
      if (value.get_string().get(text))
        form.errors.push_back({"devEUI", "must be a string"});
      else
        form.dev_eui = std::string{text};
    } else if (key == "connections") {
      read_connections(value, form);
    } else {
      form.errors.push_back({std::string{key}, "unknown field"});
    }
  }
  return form;
}

std::optional<std::string> normalize_dev_eui(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::string out{text};
  for (char& c : out) {
    if (c >= 'a' && c <= 'f')
      c = static_cast<char>(c - 'a' + 'A');
    else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
      return std::nullopt;
  }
  return out;
}

}  // namespace tr::api::detail
