#include "codecs/detail/json_walker.hpp"

#include <simdjson.h>

#include <cstring>

namespace tr::codecs::detail {

namespace od = simdjson::ondemand;

struct json_walker::state {
  od::parser parser{report_limits::max_document_bytes};
};

namespace {

error json_error(simdjson::error_code code) {
  switch (code) {
    case simdjson::TAPE_ERROR:
      return error(errc::malformed_json, "malformed JSON: bad structure (commas, colons, braces)");
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      return error(errc::malformed_json, "malformed JSON: truncated document");
    case simdjson::UNCLOSED_STRING:
      return error(errc::malformed_json, "malformed JSON: unclosed string");
    case simdjson::UNESCAPED_CHARS:
      return error(errc::malformed_json, "malformed JSON: unescaped control character in a string");
    case simdjson::UTF8_ERROR:
      return error(errc::malformed_json, "malformed JSON: invalid UTF-8");
    case simdjson::STRING_ERROR:
      return error(errc::malformed_json, "malformed JSON: bad escape in a string");
    case simdjson::DEPTH_ERROR:
      return error(errc::document_too_complex, "JSON nested too deeply");
    case simdjson::EMPTY:
      return error(errc::empty_input, "empty body");
    default:
      return error(errc::malformed_json, "malformed JSON: ", simdjson::error_message(code));
  }
}

error malformed(std::string_view what) { return error(errc::malformed_json, "malformed JSON: ", what); }

std::string_view trim_right(std::string_view token) {
  while (!token.empty()) {
    char c = token.back();
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
    token.remove_suffix(1);
  }
  return token;
}

/// Walks values of one document into the builder.
class walker {
 public:
  explicit walker(report_builder& builder) : builder_(builder) {}

  error value(od::value& v, std::string_view key, std::size_t depth, bool free_form) {
    std::string_view token = v.raw_json_token();
    if (token.empty()) return malformed("missing value");
    switch (token[0]) {
      case '{': return object(v, key, depth, free_form);
      case '[': return array(v, key, depth, free_form);
      case '"': return string(v, trim_right(token), key);
      case 't':
      case 'f':
      case 'n': return literal(trim_right(token), key);
      default: return number(trim_right(token), key);
    }
  }

  error object(od::value& v, std::string_view key, std::size_t depth, bool free_form) {
    if (depth >= report_limits::max_depth) return too_deep();
    od::object obj;
    if (auto code = v.get_object().get(obj)) return json_error(code);
    std::uint32_t index;
    if (!builder_.push(node_kind::object, key, {}, index)) return report_builder::too_many_nodes();
    for (auto field_result : obj) {
      od::field field;
      if (auto code = std::move(field_result).get(field)) return json_error(code);
      std::string_view name;
      if (auto e = field_name(field, name); !e.ok()) return e;
      if (!free_form && !is_plain_field_name(name)) {
        return error(errc::invalid_field_name, "field name '", name.substr(0, 64),
                     "' is not usable as an XML element name");
      }
      if (auto e = value(field.value(), name, depth + 1, free_form || is_free_form(name));
          !e.ok()) {
        return e;
      }
    }
    builder_.close(index);
    return {};
  }

  error array(od::value& v, std::string_view key, std::size_t depth, bool free_form) {
    if (depth >= report_limits::max_depth) return too_deep();
    od::array arr;
    if (auto code = v.get_array().get(arr)) return json_error(code);
    std::uint32_t index;
    if (!builder_.push(node_kind::array, key, {}, index)) return report_builder::too_many_nodes();
    for (auto item_result : arr) {
      od::value item;
      if (auto code = std::move(item_result).get(item)) return json_error(code);
      if (auto e = value(item, {}, depth + 1, free_form); !e.ok()) return e;
    }
    builder_.close(index);
    return {};
  }

  error string(od::value& v, std::string_view token, std::string_view key) {
    if (token.size() < 2 || token.back() != '"') return malformed("bad string");
    std::string_view text = token.substr(1, token.size() - 2);
    if (std::memchr(text.data(), '\\', text.size()) != nullptr) {
      std::string_view unescaped;
      if (auto code = v.get_string().get(unescaped)) return json_error(code);
      text = builder_.arena().copy(unescaped);
    }
    if (text.size() > report_limits::max_string_bytes) return too_large(key);
    return push_scalar(node_kind::string, key, text);
  }

  error literal(std::string_view token, std::string_view key) {
    if (token == "true" || token == "false") return push_scalar(node_kind::boolean, key, token);
    if (token == "null") return push_scalar(node_kind::null, key, token);
    return malformed("bad literal");
  }

  error number(std::string_view token, std::string_view key) {
    if (!is_json_number(token)) return malformed("bad number");
    if (token.size() > report_limits::max_string_bytes) return too_large(key);
    return push_scalar(node_kind::number, key, token);
  }

 private:
  error push_scalar(node_kind kind, std::string_view key, std::string_view text) {
    std::uint32_t index;
    if (!builder_.push(kind, key, text, index)) return report_builder::too_many_nodes();
    return {};
  }

  /// The key as a view into the input when it has no escapes (the usual case).
  error field_name(od::field& field, std::string_view& name) {
    const char* start = field.key().raw();
    const char* p = start;
    while (*p != '"' && *p != '\\') ++p;
    if (*p == '"') {
      name = std::string_view(start, static_cast<std::size_t>(p - start));
      return {};
    }
    std::string_view unescaped;
    if (auto code = field.unescaped_key().get(unescaped)) return json_error(code);
    name = builder_.arena().copy(unescaped);
    return {};
  }

  static error too_deep() { return error(errc::document_too_complex, "JSON nested more than 32 levels"); }

  static error too_large(std::string_view key) {
    return error(errc::field_too_large, "field '", key.substr(0, 64), "' exceeds 4096 bytes");
  }

  report_builder& builder_;
};

}  // namespace

json_walker::json_walker() : state_(std::make_unique<state>()) {}
json_walker::~json_walker() = default;

error json_walker::walk_report(std::string_view json, report_builder& builder) {
  od::document doc;
  if (auto code = state_->parser.iterate(json.data(), json.size(), json.size() + json_padding)
                      .get(doc)) {
    return json_error(code);
  }
  od::object root;
  if (auto code = doc.get_object().get(root)) {
    if (code == simdjson::INCORRECT_TYPE) return error(errc::wrong_root, "root must be a JSON object");
    return json_error(code);
  }
  walker walk(builder);
  bool found = false;
  for (auto field_result : root) {
    od::field field;
    if (auto code = std::move(field_result).get(field)) return json_error(code);
    if (found) return error(errc::wrong_root, "root must hold exactly one report");
    std::string_view name;
    if (auto code = field.unescaped_key().get(name)) return json_error(code);
    report_type type;
    if (!parse_report_type(name, type)) {
      return error(errc::unknown_report_type, "unknown report type '", name.substr(0, 64), "'");
    }
    name = to_string(type);  // a static string, independent of the parser's buffers
    od::value& value = field.value();
    std::string_view token = value.raw_json_token();
    if (token.empty() || token[0] != '{') {
      return error(errc::wrong_root, name, " must be an object");
    }
    if (auto e = walk.object(value, name, 0, false); !e.ok()) return e;
    found = true;
  }
  if (!found) return error(errc::wrong_root, "root object holds no report");
  const char* location;
  if (doc.current_location().get(location) == simdjson::SUCCESS) {
    return malformed("trailing content after the report");
  }
  return {};
}

error json_walker::walk_embedded(std::string_view json, std::string_view key, std::size_t depth,
                                 report_builder& builder) {
  od::document doc;
  if (auto code = state_->parser.iterate(json.data(), json.size(), json.size() + json_padding)
                      .get(doc)) {
    return json_error(code);
  }
  od::value value;
  if (auto code = doc.get_value().get(value)) return json_error(code);
  walker walk(builder);
  if (auto e = walk.value(value, key, depth, true); !e.ok()) return e;
  const char* location;
  if (doc.current_location().get(location) == simdjson::SUCCESS) {
    return malformed("trailing content");
  }
  return {};
}

bool is_json_number(std::string_view text) {
  std::size_t i = 0;
  std::size_t n = text.size();
  auto digits = [&] {
    std::size_t start = i;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && text[i] == '-') ++i;
  if (i >= n) return false;
  if (text[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && text[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

}  // namespace tr::codecs::detail
