// The user endpoints of the admin API: admins only, except GET /api/v1/me (every user).

#include <algorithm>

#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"
#include "api/detail/text_rules.hpp"
#include "api/domains.hpp"
#include "api/validation_json.hpp"

namespace tr::api::detail {

namespace {

api_answer not_an_admin() {
  return error_answer(403, "only an admin manages users");
}

/// The restrictions given to a new user name existing, active domains.
void check_user_domains(const std::vector<store::domain_ref>& refs,
                        const std::vector<store::domain>& defined,
                        std::vector<field_error>& errors) {
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const auto& ref = refs[i];
    auto found = std::find_if(defined.begin(), defined.end(), [&](const store::domain& d) {
      return d.group == ref.group && d.name == ref.name;
    });
    auto path = "domains[" + std::to_string(i) + "].name";
    auto named = "'" + shown(ref.group + ":" + ref.name) + "'";
    if (found == defined.end())
      merge_errors(errors, {{path, "no domain " + named + " is defined"}});
    else if (!found->active)
      merge_errors(
          errors, {{path, "domain " + named + " is inactive: it cannot be given to anything new"}});
  }
}

}  // namespace

api_answer list_users(const call& c) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  auto all = c.db.list_users();
  if (!all) return store_failure(all.error_value());
  json_out out;
  out.begin_object().key("users").begin_array();
  for (const auto& one : *all) write_user(out, one);
  out.end_array().end_object();
  return json_answer(200, out.take());
}

api_answer create_user(const call& c) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  auto form = parse_user_form(c.request.body);
  if (!form.malformed.empty() && form.malformed.front().field == "body")
    return field_errors_answer(form.malformed);
  auto checked = validate_user(form);
  if (!checked.domains.empty()) {
    auto defined = c.db.list_domains();
    if (!defined) return store_failure(defined.error_value());
    forgive_defined(checked.errors, checked.domains, *defined, c.caller, {});
    std::vector<field_error> more;
    if (checked.domains.size() <= max_domain_refs)
      check_user_domains(checked.domains, *defined, more);
    for (auto& one : more)
      if (!has_item_error(checked.errors, one.field))
        merge_errors(checked.errors, {std::move(one)});
  }
  if (!checked.ok()) return field_errors_answer(checked.errors);
  auto made = c.db.create_user(std::move(checked.name), checked.role, std::move(checked.domains));
  if (!made) return store_failure(made.error_value());
  json_out out;
  out.begin_object();
  out.key("id").string(made->user.id);
  out.key("name").string(made->user.name);
  out.key("role").string(store::to_string(made->user.role));
  out.key("domains");
  write_domain_refs(out, made->user.domains);
  out.key("createdAt").string(made->user.created_at);
  out.key("token").string(made->token);
  out.end_object();
  auto answer = json_answer(201, out.take());
  answer.headers.emplace_back("Cache-Control", "no-store");
  return answer;
}

api_answer get_user(const call& c, std::string_view id) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  auto all = c.db.list_users();
  if (!all) return store_failure(all.error_value());
  auto found =
      std::find_if(all->begin(), all->end(), [&](const store::user& one) { return one.id == id; });
  if (found == all->end()) return error_answer(404, "no user " + std::string{id});
  json_out out;
  write_user(out, *found);
  return json_answer(200, out.take());
}

api_answer delete_user(const call& c, std::string_view id) {
  if (!may_manage_users(c.caller)) return not_an_admin();
  if (id == c.caller.id) return error_answer(409, "you cannot delete your own user");
  if (auto gone = c.db.delete_user(id); !gone) return store_failure(gone.error_value());
  return no_content();
}

api_answer get_me(const call& c) {
  json_out out;
  write_user(out, c.caller);
  return json_answer(200, out.take());
}

}  // namespace tr::api::detail
