// tr::store::database: domain groups, domains and users, the same code over both backends.

#include <optional>
#include <type_traits>

#include "store/database.hpp"
#include "store/detail/domain_rows.hpp"
#include "store/detail/errors.hpp"
#include "store/detail/user_rows.hpp"

namespace tr::store {

template <class T, class Body>
result<T> database::shared(bool write, Body&& body) {
  std::optional<result<T>> out;
  auto done = run_shared(write, [&](detail::sql_port& db) -> result<void> {
    if constexpr (std::is_invocable_v<Body, detail::user_rows>)
      out.emplace(body(detail::user_rows{db}));
    else
      out.emplace(body(detail::domain_rows{db}));
    if (!out->has_value()) return out->error_value();
    return {};
  });
  if (!done) return done.error_value();
  return std::move(*out);
}

result<std::vector<domain_group>> database::list_domain_groups() {
  return shared<std::vector<domain_group>>(false,
                                           [](detail::domain_rows rows) { return rows.groups(); });
}

result<domain_group> database::create_domain_group(domain_group draft) {
  return shared<domain_group>(
      true, [&](detail::domain_rows rows) { return rows.insert_group(std::move(draft)); });
}

result<domain_group> database::update_domain_group(domain_group changed) {
  return shared<domain_group>(true,
                              [&](detail::domain_rows rows) { return rows.update_group(changed); });
}

result<void> database::delete_domain_group(std::string_view name) {
  return shared<void>(true, [&](detail::domain_rows rows) { return rows.erase_group(name); });
}

result<std::vector<domain>> database::list_domains() {
  return shared<std::vector<domain>>(false,
                                     [](detail::domain_rows rows) { return rows.domains(); });
}

result<domain> database::create_domain(domain draft) {
  return shared<domain>(true,
                        [&](detail::domain_rows rows) { return rows.insert(std::move(draft)); });
}

result<domain> database::update_domain(domain changed) {
  return shared<domain>(true, [&](detail::domain_rows rows) { return rows.update(changed); });
}

result<void> database::delete_domain(const domain_ref& which) {
  return shared<void>(true, [&](detail::domain_rows rows) { return rows.erase(which); });
}

result<created_user> database::create_user(std::string name, role access,
                                           std::vector<domain_ref> domains) {
  if (name.empty()) return detail::invalid("a user needs a name");
  std::optional<result<created_user>> out;
  auto done = run_shared(true, [&](detail::sql_port& db) -> result<void> {
    if (auto unknown = detail::domain_rows{db}.first_unknown(domains)) {
      out.emplace(detail::invalid("no domain '" + unknown->group + ":" + unknown->name + "'"));
      return out->error_value();
    }
    auto token = detail::new_token();
    auto made = detail::user_rows{db}.insert_new(std::move(name), access, std::move(domains),
                                                 detail::token_hash(token));
    out.emplace(created_user{std::move(made), std::move(token)});
    return {};
  });
  if (!done) return done.error_value();
  return std::move(*out);
}

result<user> database::find_user_by_token(std::string_view token) {
  if (token.empty()) return detail::missing("no user holds an empty token");
  auto hash = detail::token_hash(token);
  return shared<user>(false, [&](detail::user_rows rows) -> result<user> {
    if (auto found = rows.find_by_hash(hash)) return std::move(*found);
    return detail::missing("no user holds this token");
  });
}

result<std::vector<user>> database::list_users() {
  return shared<std::vector<user>>(false, [](detail::user_rows rows) { return rows.all(); });
}

result<void> database::delete_user(std::string_view id) {
  return shared<void>(true, [&](detail::user_rows rows) -> result<void> {
    if (!rows.erase(id)) return detail::missing("no user " + std::string{id});
    return {};
  });
}

}  // namespace tr::store
