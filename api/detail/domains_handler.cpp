// The domain endpoints of the admin API: groups and domains. Every user reads the ones within
// its restrictions (all of them without restrictions); only an admin defines them.

#include <algorithm>

#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"
#include "api/detail/text_rules.hpp"
#include "api/domains.hpp"
#include "api/validation_json.hpp"
#include "codecs/query.hpp"

namespace tr::api::detail {

namespace {

api_answer not_an_admin() {
  return error_answer(403, "only an admin defines domains");
}

/// A field-error answer with one entry and `status`.
api_answer field_refusal(int status, std::string field, std::string message) {
  auto out = field_errors_answer({{std::move(field), std::move(message)}});
  out.status = status;
  return out;
}

/// The answer to a refused domain write: a conflict 409 and a bad reference 400 in the
/// field-error form, the rest as store_failure.
api_answer domain_write_failure(const store::error& failure) {
  if (!failure.field.empty() && failure.code == store::error_code::conflict)
    return field_refusal(409, failure.field, failure.message);
  if (!failure.field.empty() && failure.code == store::error_code::invalid_argument)
    return field_refusal(400, failure.field, failure.message);
  if (failure.code == store::error_code::conflict) return error_answer(409, failure.message);
  return store_failure(failure);
}

/// True when the caller reads this domain: it lies within its restrictions.
bool sees(const store::user& caller, const store::domain& value) {
  return covers(caller, store::domain_ref{value.group, value.name});
}

bool sees_group(const store::user& caller, std::string_view group) {
  if (!is_restricted(caller)) return true;
  return std::any_of(caller.domains.begin(), caller.domains.end(),
                     [&](const store::domain_ref& own) { return own.group == group; });
}

/// The decoded path segment, or nullopt when its escapes are bad.
std::optional<std::string> decoded(std::string_view raw) {
  std::string out;
  if (!codecs::percent_decode(raw, out).ok()) return std::nullopt;
  return out;
}

api_answer group_answer(int status, const store::domain_group& value) {
  json_out out;
  write_domain_group(out, value);
  return json_answer(status, out.take());
}

api_answer domain_answer(int status, const store::domain& value) {
  json_out out;
  write_domain(out, value);
  return json_answer(status, out.take());
}

bool unreadable(const std::vector<field_error>& malformed) {
  return !malformed.empty() && malformed.front().field == "body";
}

/// The stored group the caller may see, or the refusal.
struct found_group {
  std::optional<store::domain_group> value;
  api_answer refusal;
};

found_group find_group(const call& c, std::string_view raw_name) {
  auto name = decoded(raw_name);
  auto all = c.db.list_domain_groups();
  if (!all) return {std::nullopt, store_failure(all.error_value())};
  if (name && sees_group(c.caller, *name))
    for (auto& one : *all)
      if (one.name == *name) return {std::move(one), {}};
  return {std::nullopt, error_answer(404, "no domain group " + shown(raw_name))};
}

struct found_domain {
  std::optional<store::domain> value;
  api_answer refusal;
};

found_domain find_domain(const call& c, std::string_view raw_group, std::string_view raw_name) {
  auto group = decoded(raw_group);
  auto name = decoded(raw_name);
  auto all = c.db.list_domains();
  if (!all) return {std::nullopt, store_failure(all.error_value())};
  if (group && name)
    for (auto& one : *all)
      if (one.group == *group && one.name == *name && sees(c.caller, one))
        return {std::move(one), {}};
  return {std::nullopt, error_answer(404, "no domain " + shown(std::string{raw_group} + "/" +
                                                               std::string{raw_name}))};
}

}  // namespace

api_answer list_domain_groups(const call& c) {
  auto all = c.db.list_domain_groups();
  if (!all) return store_failure(all.error_value());
  json_out out;
  out.begin_object().key("groups").begin_array();
  for (const auto& one : *all)
    if (sees_group(c.caller, one.name)) write_domain_group(out, one);
  out.end_array().end_object();
  return json_answer(200, out.take());
}

api_answer create_domain_group(const call& c) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  auto form = parse_domain_group_form(c.request.body);
  if (unreadable(form.malformed)) return field_errors_answer(form.malformed);
  auto checked = validate_new_domain_group(form);
  if (!checked.ok()) return field_errors_answer(checked.errors);
  auto made = c.db.create_domain_group(std::move(checked.value));
  if (!made) return domain_write_failure(made.error_value());
  return group_answer(201, *made);
}

api_answer get_domain_group(const call& c, std::string_view name) {
  auto found = find_group(c, name);
  if (!found.value) return found.refusal;
  return group_answer(200, *found.value);
}

api_answer update_domain_group(const call& c, std::string_view name) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  auto found = find_group(c, name);
  if (!found.value) return found.refusal;
  auto form = parse_domain_group_form(c.request.body);
  if (unreadable(form.malformed)) return field_errors_answer(form.malformed);
  auto checked = validate_domain_group_patch(form, *found.value);
  if (!checked.ok()) return field_errors_answer(checked.errors);
  auto changed = c.db.update_domain_group(std::move(checked.value));
  if (!changed) return domain_write_failure(changed.error_value());
  return group_answer(200, *changed);
}

api_answer delete_domain_group(const call& c, std::string_view name) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  auto found = find_group(c, name);
  if (!found.value) return found.refusal;
  if (auto gone = c.db.delete_domain_group(found.value->name); !gone)
    return domain_write_failure(gone.error_value());
  return no_content();
}

api_answer list_domains(const call& c) {
  auto all = c.db.list_domains();
  if (!all) return store_failure(all.error_value());
  json_out out;
  out.begin_object().key("domains").begin_array();
  for (const auto& one : *all)
    if (sees(c.caller, one)) write_domain(out, one);
  out.end_array().end_object();
  return json_answer(200, out.take());
}

api_answer create_domain(const call& c) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  auto form = parse_domain_form(c.request.body);
  if (unreadable(form.malformed)) return field_errors_answer(form.malformed);
  auto checked = validate_new_domain(form);
  // The group's existence is reported with the other fields.
  if (form.group && !form.group->empty()) {
    auto groups = c.db.list_domain_groups();
    if (!groups) return store_failure(groups.error_value());
    bool known = std::any_of(groups->begin(), groups->end(),
                             [&](const store::domain_group& g) { return g.name == *form.group; });
    if (!known)
      merge_errors(checked.errors, {{"group", "no domain group '" + shown(*form.group) + "'"}});
  }
  if (!checked.ok()) return field_errors_answer(checked.errors);
  auto made = c.db.create_domain(std::move(checked.value));
  if (!made) return domain_write_failure(made.error_value());
  return domain_answer(201, *made);
}

api_answer get_domain(const call& c, std::string_view group, std::string_view name) {
  auto found = find_domain(c, group, name);
  if (!found.value) return found.refusal;
  return domain_answer(200, *found.value);
}

api_answer update_domain(const call& c, std::string_view group, std::string_view name) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  auto found = find_domain(c, group, name);
  if (!found.value) return found.refusal;
  auto form = parse_domain_form(c.request.body);
  if (unreadable(form.malformed)) return field_errors_answer(form.malformed);
  auto checked = validate_domain_patch(form, *found.value);
  if (!checked.ok()) return field_errors_answer(checked.errors);
  auto changed = c.db.update_domain(std::move(checked.value));
  if (!changed) return domain_write_failure(changed.error_value());
  return domain_answer(200, *changed);
}

api_answer delete_domain(const call& c, std::string_view group, std::string_view name) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  auto found = find_domain(c, group, name);
  if (!found.value) return found.refusal;
  if (auto gone = c.db.delete_domain({found.value->group, found.value->name}); !gone)
    return domain_write_failure(gone.error_value());
  return no_content();
}

}  // namespace tr::api::detail
