#include "api/detail/json_out.hpp"

#include <cstdio>

#include "codecs/detail/escape.hpp"
#include "codecs/detail/utf8.hpp"

namespace tr::api::detail {

void json_out::separate() {
  if (needs_comma_) text_.push_back(',');
  needs_comma_ = false;
}

json_out& json_out::begin_object() {
  separate();
  text_.push_back('{');
  return *this;
}

json_out& json_out::end_object() {
  text_.push_back('}');
  needs_comma_ = true;
  return *this;
}

json_out& json_out::begin_array() {
  separate();
  text_.push_back('[');
  return *this;
}

json_out& json_out::end_array() {
  text_.push_back(']');
  needs_comma_ = true;
  return *this;
}

json_out& json_out::key(std::string_view name) {
  string(name);
  text_.push_back(':');
  needs_comma_ = false;
  return *this;
}

json_out& json_out::string(std::string_view text) {
  separate();
  text_.push_back('"');
  codecs::detail::plain_sink sink{text_};
  std::string scratch;  // only used for text that is not valid UTF-8 (echoed path bytes)
  codecs::detail::put_json_escaped(sink, codecs::detail::utf8_or_replaced(text, scratch));
  text_.push_back('"');
  needs_comma_ = true;
  return *this;
}

json_out& json_out::number(std::int64_t value) {
  separate();
  text_ += std::to_string(value);
  needs_comma_ = true;
  return *this;
}

json_out& json_out::decimal(double value) {
  separate();
  char text[32];
  int n = std::snprintf(text, sizeof text, "%.2f", value);
  std::string_view digits{text, static_cast<std::size_t>(n)};
  while (digits.ends_with('0')) digits.remove_suffix(1);  // 12.50 -> 12.5, 3.00 -> 3
  if (digits.ends_with('.')) digits.remove_suffix(1);
  text_ += digits;
  needs_comma_ = true;
  return *this;
}

json_out& json_out::null() {
  separate();
  text_ += "null";
  needs_comma_ = true;
  return *this;
}

json_out& json_out::boolean(bool value) {
  separate();
  text_ += value ? "true" : "false";
  needs_comma_ = true;
  return *this;
}

json_out& json_out::strings(const std::vector<std::string>& items) {
  begin_array();
  for (const auto& item : items) string(item);
  return end_array();
}

void write_connection(json_out& out, const store::connection& value, connection_fields fields) {
  bool secrets = fields != connection_fields::read_only;
  out.begin_object();
  out.key("id").string(value.id);
  out.key("name").string(value.name);
  out.key("domains");
  write_domain_refs(out, value.domains);
  if (secrets) out.key("url").string(value.url);
  out.key("contentType").string(store::to_string(value.type));
  out.key("asId").string(value.as_id);
  if (secrets) {
    out.key("headers").begin_array();
    for (const auto& header : value.headers)
      out.begin_object()
          .key("name")
          .string(header.name)
          .key("value")
          .string(header.value)
          .end_object();
    out.end_array();
    out.key("additionalInfo").string(value.additional_info);
  }
  out.key("maxTimeDeviation").number(value.max_time_deviation_s);
  out.key("paused").boolean(value.paused);
  out.key("createdAt").string(value.created_at);
  out.key("updatedAt").string(value.updated_at);
  if (fields == connection_fields::with_key) out.key("key").string(value.key);
  out.end_object();
}

void write_domain_refs(json_out& out, const std::vector<store::domain_ref>& refs) {
  out.begin_array();
  for (const auto& ref : refs)
    out.begin_object().key("group").string(ref.group).key("name").string(ref.name).end_object();
  out.end_array();
}

void write_domain_group(json_out& out, const store::domain_group& group) {
  out.begin_object();
  out.key("name").string(group.name);
  out.key("description").string(group.description);
  out.key("color").string(group.color);
  out.key("createdAt").string(group.created_at);
  out.end_object();
}

void write_domain(json_out& out, const store::domain& value) {
  out.begin_object();
  out.key("group").string(value.group);
  out.key("name").string(value.name);
  out.key("description").string(value.description);
  out.key("active").boolean(value.active);
  out.key("createdAt").string(value.created_at);
  out.end_object();
}

void write_user(json_out& out, const store::user& value) {
  out.begin_object();
  out.key("id").string(value.id);
  out.key("name").string(value.name);
  out.key("role").string(store::to_string(value.role));
  out.key("domains");
  write_domain_refs(out, value.domains);
  out.key("createdAt").string(value.created_at);
  out.end_object();
}

void write_device_route(json_out& out, const store::device_route& route) {
  out.begin_object();
  out.key("devEUI").string(route.dev_eui);
  out.key("connections").strings(route.connection_ids);
  out.end_object();
}

std::string error_body(std::string_view message) {
  json_out out;
  out.begin_object().key("error").string(message).end_object();
  return out.take();
}

std::string field_errors_body(const std::vector<field_error>& errors) {
  json_out out;
  out.begin_object().key("errors").begin_array();
  for (const auto& error : errors)
    out.begin_object()
        .key("field")
        .string(error.field)
        .key("message")
        .string(error.message)
        .end_object();
  out.end_array().end_object();
  return out.take();
}

}  // namespace tr::api::detail
