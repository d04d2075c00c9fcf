// The user endpoints of the admin API: admins only. Users made here are never admins; the
// bootstrap admin comes from the configuration.

#include <algorithm>

#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"
#include "api/domains.hpp"
#include "api/validation_json.hpp"

namespace tr::api::detail {

namespace {

api_answer not_an_admin() {
  return error_answer(403, "only an admin manages users");
}

void write_user(json_out& out, const store::user& value) {
  out.begin_object();
  out.key("id").string(value.id);
  out.key("name").string(value.name);
  out.key("domains").strings(value.domains);
  out.key("admin").boolean(value.is_admin);
  out.key("createdAt").string(value.created_at);
  out.end_object();
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
  if (!checked.ok()) return field_errors_answer(checked.errors);
  auto made = c.db.create_user(std::move(checked.name), std::move(checked.domains), false);
  if (!made) return store_failure(made.error_value());
  json_out out;
  out.begin_object();
  out.key("id").string(made->user.id);
  out.key("name").string(made->user.name);
  out.key("domains").strings(made->user.domains);
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

}  // namespace tr::api::detail
