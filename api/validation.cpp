#include "api/validation.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include "api/detail/text_rules.hpp"
#include "api/detail/uri.hpp"

namespace tr::api {

namespace {

constexpr std::array<std::string_view, 7> forbidden_header_names = {
    "accept",       "host",   "user-agent",         "content-length",
    "content-type", "expect", "proxy-authorization"};

/// Fields about the connection itself (RFC 9110 §7.6.1): never forwarded, so never accepted.
constexpr std::array<std::string_view, 6> connection_header_names = {
    "connection", "transfer-encoding", "keep-alive", "upgrade", "te", "proxy-connection"};

/// Collects errors, leaving out paths the decoder already reported as malformed.
class error_list {
 public:
  explicit error_list(const std::vector<field_error>& malformed) : errors_(malformed) {}

  void add(std::string field, std::string message) {
    bool reported = std::any_of(errors_.begin(), errors_.end(),
                                [&](const field_error& e) { return e.field == field; });
    if (!reported) errors_.push_back({std::move(field), std::move(message)});
  }

  std::vector<field_error> take() { return std::move(errors_); }

 private:
  std::vector<field_error> errors_;
};

/// The problems of a form's domain list, except at items whose JSON was already malformed.
void check_domains(const std::vector<store::domain_ref>& domains,
                   const std::vector<field_error>& malformed, error_list& errors) {
  std::vector<field_error> found;
  check_domain_refs(domains, found);
  for (auto& one : found)
    if (!has_item_error(malformed, one.field))
      errors.add(std::move(one.field), std::move(one.message));
}

void check_name(const std::optional<std::string>& name, error_list& errors) {
  if (!name || detail::is_blank(*name))
    errors.add("name", "is mandatory");
  else if (detail::has_control_character(*name))
    errors.add("name", "must not contain control characters");
  else if (detail::character_count(*name) > max_name_characters)
    errors.add("name", "must be at most " + std::to_string(max_name_characters) + " characters");
}

std::optional<std::string> url_problem(std::string_view url, const validation_options& options) {
  if (url.size() > max_url_characters)
    return "must be at most " + std::to_string(max_url_characters) + " characters";
  auto parsed = detail::parse_uri(url);
  if (!parsed.value) return "is not an absolute URL (RFC 3986): " + parsed.error;
  const auto& uri = *parsed.value;
  auto scheme = detail::to_lower(uri.scheme);
  if (scheme == "http" && !options.allow_http)
    return "must use https (http is accepted only when as.allow_http is set)";
  if (scheme != "https" && scheme != "http")
    return options.allow_http ? "must use https or http" : "must use https";
  if (!uri.has_authority || uri.host.empty()) return "has no host";
  if (uri.kind == detail::host_kind::ipv_future)
    return "names an IPvFuture host, which is not supported";
  if (uri.port) {
    unsigned value = 0;
    auto [end, failure] =
        std::from_chars(uri.port->data(), uri.port->data() + uri.port->size(), value);
    if (uri.port->empty() || failure != std::errc{} || value < 1 || value > 65535)
      return "has a bad port '" + std::string{*uri.port} + "' (1 to 65535)";
  }
  if (uri.fragment) return "must not have a fragment ('#...'; it is never sent)";
  bool literal = uri.kind == detail::host_kind::ipv4 || uri.kind == detail::host_kind::ipv6;
  if (literal && options.check_destination) {
    std::uint16_t port = scheme == "https" ? 443 : 80;
    if (uri.port) std::from_chars(uri.port->data(), uri.port->data() + uri.port->size(), port);
    if (auto refused = options.check_destination(uri.host, port))
      return "is refused: " + *refused;
  }
  return std::nullopt;
}

void check_url(const std::optional<std::string>& url, const validation_options& options,
               error_list& errors) {
  if (!url || url->empty()) return errors.add("url", "is mandatory");
  if (auto problem = url_problem(*url, options)) errors.add("url", *problem);
}

void check_as_id(const std::optional<std::string>& as_id, error_list& errors) {
  if (!as_id || as_id->empty()) return errors.add("asId", "is mandatory");
  if (as_id->size() > max_as_id_characters)
    return errors.add("asId",
                      "must be at most " + std::to_string(max_as_id_characters) + " characters");
  for (char c : *as_id)
    if (c <= 0x20 || c >= 0x7f) return errors.add("asId", "must be printable ASCII without spaces");
}

void check_headers(const std::vector<header_form>& headers, error_list& errors) {
  if (headers.size() > max_custom_headers)
    errors.add("headers", "at most " + std::to_string(max_custom_headers) + " custom headers (" +
                              std::to_string(headers.size()) + " given)");
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& header = headers[i];
    auto path = "headers[" + std::to_string(i) + "]";
    auto lower = detail::to_lower(header.name);
    if (header.name.empty()) {
      errors.add(path + ".name", "is mandatory");
    } else if (!detail::is_token(header.name)) {
      errors.add(path + ".name", "must be an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~)");
    } else if (std::find(forbidden_header_names.begin(), forbidden_header_names.end(), lower) !=
               forbidden_header_names.end()) {
      errors.add(path + ".name",
                 "'" + header.name + "' is set by the router and cannot be customized");
    } else if (std::find(connection_header_names.begin(), connection_header_names.end(), lower) !=
               connection_header_names.end()) {
      errors.add(path + ".name", "'" + header.name +
                                     "' is about the connection and is never sent to the AS");
    } else if (std::find(seen.begin(), seen.end(), lower) != seen.end()) {
      errors.add(path + ".name", "'" + header.name + "' appears more than once");
    }
    seen.push_back(lower);
    if (auto problem = detail::field_value_problem(header.value))
      errors.add(path + ".value", *problem);
    if (detail::character_count(header.name) + detail::character_count(header.value) >
        max_header_characters)
      errors.add(path, "name and value together must be at most " +
                           std::to_string(max_header_characters) + " characters");
  }
}

}  // namespace

connection_validation validate_connection(const connection_form& form,
                                          const validation_options& options) {
  connection_validation out;
  error_list errors{form.malformed};
  auto& value = out.value;

  check_name(form.name, errors);
  value.name = form.name.value_or("");
  check_url(form.url, options, errors);
  value.url = form.url.value_or("");

  if (!form.content_type || form.content_type->empty())
    errors.add("contentType", "is mandatory");
  else if (auto type = store::parse_content_type(*form.content_type))
    value.type = *type;
  else
    errors.add("contentType", "must be XML, JSON or JSON_UNTYPED");

  check_as_id(form.as_id, errors);
  value.as_id = form.as_id.value_or("");

  if (form.headers) {
    check_headers(*form.headers, errors);
    for (const auto& header : *form.headers) value.headers.push_back({header.name, header.value});
  }
  if (form.domains) {
    check_domains(*form.domains, form.malformed, errors);
    value.domains = *form.domains;
  }

  if (form.key) {
    if (auto key = detail::normalize_key(*form.key))
      value.key = std::move(*key);
    else
      errors.add("key", "must be 32 hexadecimal digits");
  }

  value.max_time_deviation_s =
      form.max_time_deviation.value_or(store::default_max_time_deviation_s);
  if (value.max_time_deviation_s < min_max_time_deviation_s ||
      value.max_time_deviation_s > max_max_time_deviation_s)
    errors.add("maxTimeDeviation", "must be whole seconds from " +
                                       std::to_string(min_max_time_deviation_s) + " to " +
                                       std::to_string(max_max_time_deviation_s));

  value.paused = form.paused.value_or(false);
  value.additional_info = form.additional_info.value_or("");
  if (detail::character_count(value.additional_info) > max_additional_info_characters)
    errors.add("additionalInfo",
               "must be at most " + std::to_string(max_additional_info_characters) + " characters");
  out.errors = errors.take();
  return out;
}

connection_form form_of(const store::connection& value) {
  connection_form form;
  form.name = value.name;
  form.domains = value.domains;
  form.url = value.url;
  form.content_type = std::string{store::to_string(value.type)};
  form.as_id = value.as_id;
  form.headers.emplace();
  for (const auto& header : value.headers) form.headers->push_back({header.name, header.value});
  form.additional_info = value.additional_info;
  form.max_time_deviation = value.max_time_deviation_s;
  form.paused = value.paused;
  return form;
}

void overlay(connection_form& base, const connection_form& patch) {
  auto lay = [](auto& into, const auto& from) {
    if (from) into = from;
  };
  lay(base.name, patch.name);
  lay(base.domains, patch.domains);
  lay(base.url, patch.url);
  lay(base.content_type, patch.content_type);
  lay(base.as_id, patch.as_id);
  lay(base.headers, patch.headers);
  lay(base.additional_info, patch.additional_info);
  lay(base.max_time_deviation, patch.max_time_deviation);
  lay(base.paused, patch.paused);
  lay(base.key, patch.key);
  base.malformed.insert(base.malformed.end(), patch.malformed.begin(), patch.malformed.end());
}

std::string_view item_of(std::string_view field) {
  auto close = field.find(']');
  return close == std::string_view::npos ? field : field.substr(0, close + 1);
}

bool has_item_error(const std::vector<field_error>& errors, std::string_view field) {
  auto item = item_of(field);
  return std::any_of(errors.begin(), errors.end(),
                     [&](const field_error& e) { return item_of(e.field) == item; });
}

void check_domain_refs(const std::vector<store::domain_ref>& refs,
                       std::vector<field_error>& errors) {
  if (refs.size() > max_domain_refs) {
    errors.push_back({"domains", "at most " + std::to_string(max_domain_refs) + " domains"});
    return;
  }
  for (std::size_t i = 0; i < refs.size(); ++i) {
    auto path = "domains[" + std::to_string(i) + "]";
    const auto& ref = refs[i];
    if (auto problem = detail::name_part_problem(ref.group, max_group_name_characters))
      errors.push_back({path + ".group", ref.group.empty() ? "is mandatory" : *problem});
    if (auto problem = detail::domain_path_problem(ref.name, max_domain_segment_characters))
      errors.push_back({path + ".name", ref.name.empty() ? "is mandatory" : *problem});
    // Judged apart from the name's form: a defined domain's name is forgiven its form later
    // (forgive_defined), never its repetition.
    if (std::find(refs.begin(), refs.begin() + static_cast<std::ptrdiff_t>(i), ref) !=
        refs.begin() + static_cast<std::ptrdiff_t>(i))
      errors.push_back(
          {path, "'" + detail::shown(ref.group + ":" + ref.name) + "' appears more than once"});
  }
}

user_validation validate_user(const user_form& form) {
  user_validation out;
  error_list errors{form.malformed};
  check_name(form.name, errors);
  out.name = form.name.value_or("");
  if (form.role) {
    if (auto role = store::parse_role(*form.role))
      out.role = *role;
    else
      errors.add("role", "must be admin, connections-manager or viewer");
  }
  if (form.domains) {
    check_domains(*form.domains, form.malformed, errors);
    out.domains = *form.domains;
    if (out.role == store::role::admin && !out.domains.empty())
      errors.add("domains", "an admin has no domain restrictions");
  }
  out.errors = errors.take();
  return out;
}

}  // namespace tr::api
