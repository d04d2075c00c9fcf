#include "api/domain_forms.hpp"

#include <algorithm>

#include "api/detail/text_rules.hpp"

namespace tr::api {

namespace {

void add(std::vector<field_error>& errors, std::string field, std::string message) {
  bool reported = std::any_of(errors.begin(), errors.end(),
                              [&](const field_error& e) { return e.field == field; });
  if (!reported) errors.push_back({std::move(field), std::move(message)});
}

void check_group_name(const std::optional<std::string>& name, std::string_view field,
                      std::vector<field_error>& errors) {
  if (!name || name->empty()) return add(errors, std::string{field}, "is mandatory");
  if (auto problem = detail::name_part_problem(*name, max_group_name_characters))
    return add(errors, std::string{field}, *problem);
  if (name->find('/') != std::string::npos) add(errors, std::string{field}, "must not contain '/'");
}

void check_description(const std::optional<std::string>& text, std::vector<field_error>& errors) {
  if (!text) return;
  if (detail::has_control_character(*text))
    add(errors, "description", "must not contain control characters");
  else if (detail::character_count(*text) > max_description_characters)
    add(errors, "description",
        "must be at most " + std::to_string(max_description_characters) + " characters");
}

/// The colour in lower case when it is `#rrggbb`.
std::optional<std::string> normalized_color(std::string_view text) {
  if (text.size() != 7 || text.front() != '#') return std::nullopt;
  std::string out{text};
  for (std::size_t i = 1; i < out.size(); ++i) {
    char c = out[i];
    if (c >= 'A' && c <= 'F')
      out[i] = static_cast<char>(c - 'A' + 'a');
    else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return std::nullopt;
  }
  return out;
}

void check_color(const std::optional<std::string>& color, std::string& into,
                 std::vector<field_error>& errors) {
  if (!color) return;
  if (auto normal = normalized_color(*color))
    into = std::move(*normal);
  else
    add(errors, "color", "must be a CSS hex colour #rrggbb");
}

void check_fixed(const std::optional<std::string>& given, const std::string& stored,
                 std::string_view field, std::vector<field_error>& errors) {
  if (given && *given != stored) add(errors, std::string{field}, "is fixed once made");
}

}  // namespace

domain_group_validation validate_new_domain_group(const domain_group_form& form) {
  domain_group_validation out{{}, form.malformed};
  check_group_name(form.name, "name", out.errors);
  check_description(form.description, out.errors);
  out.value.name = form.name.value_or("");
  out.value.description = form.description.value_or("");
  out.value.color = std::string{store::default_group_color};
  check_color(form.color, out.value.color, out.errors);
  return out;
}

domain_group_validation validate_domain_group_patch(const domain_group_form& form,
                                                    const store::domain_group& stored) {
  domain_group_validation out{stored, form.malformed};
  check_fixed(form.name, stored.name, "name", out.errors);
  check_description(form.description, out.errors);
  if (form.description) out.value.description = *form.description;
  check_color(form.color, out.value.color, out.errors);
  return out;
}

domain_validation validate_new_domain(const domain_form& form) {
  domain_validation out{{}, form.malformed};
  check_group_name(form.group, "group", out.errors);
  if (!form.name || form.name->empty())
    add(out.errors, "name", "is mandatory");
  else if (auto problem = detail::domain_path_problem(*form.name, max_domain_segment_characters))
    add(out.errors, "name", *problem);
  check_description(form.description, out.errors);
  out.value.group = form.group.value_or("");
  out.value.name = form.name.value_or("");
  out.value.description = form.description.value_or("");
  out.value.active = form.active.value_or(true);
  return out;
}

domain_validation validate_domain_patch(const domain_form& form, const store::domain& stored) {
  domain_validation out{stored, form.malformed};
  check_fixed(form.group, stored.group, "group", out.errors);
  check_fixed(form.name, stored.name, "name", out.errors);
  check_description(form.description, out.errors);
  if (form.description) out.value.description = *form.description;
  if (form.active) out.value.active = *form.active;
  return out;
}

}  // namespace tr::api
