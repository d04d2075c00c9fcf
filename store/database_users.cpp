// tr::store::sqlite_database: users, the bootstrap admin, and the shared-SQL hook.

#include "store/database.hpp"
#include "store/detail/database_access.hpp"
#include "store/detail/domain_rows.hpp"
#include "store/detail/identifiers.hpp"
#include "store/detail/sql_port.hpp"
#include "store/detail/user_rows.hpp"

namespace tr::store {

namespace {

constexpr std::string_view bootstrap_admin_name = "admin";

std::string new_token() {
  return detail::to_hex(detail::random_bytes(32));
}

std::string token_hash(std::string_view token) {
  return detail::to_hex(detail::sha256(token));
}

}  // namespace

result<void> sqlite_database::run_shared(
    bool write_access, const std::function<result<void>(detail::sql_port&)>& body) {
  if (write_access)
    return write<void>([&](detail::sqlite_db& db, std::vector<change_event>&) {
      detail::sqlite_port port{db};
      return body(port);
    });
  return read<void>([&](detail::sqlite_db& db) {
    detail::sqlite_port port{db};
    return body(port);
  });
}

result<created_user> sqlite_database::create_user(std::string name, role access,
                                                  std::vector<domain_ref> domains) {
  if (name.empty()) return detail::invalid("a user needs a name");
  return write<created_user>(
      [&](detail::sqlite_db& db, std::vector<change_event>&) -> result<created_user> {
        detail::sqlite_port port{db};
        if (auto unknown = detail::domain_rows{port}.first_unknown(domains))
          return detail::invalid("no domain '" + unknown->group + ":" + unknown->name + "'");
        auto token = new_token();
        auto made = detail::user_rows{port}.insert_new(std::move(name), access, std::move(domains),
                                                       token_hash(token));
        return created_user{std::move(made), std::move(token)};
      });
}

result<user> sqlite_database::find_user_by_token(std::string_view token) {
  if (token.empty()) return detail::missing("no user holds an empty token");
  auto hash = token_hash(token);
  return read<user>([&](detail::sqlite_db& db) -> result<user> {
    detail::sqlite_port port{db};
    if (auto found = detail::user_rows{port}.find_by_hash(hash)) return std::move(*found);
    return detail::missing("no user holds this token");
  });
}

result<std::vector<user>> sqlite_database::list_users() {
  return read<std::vector<user>>([&](detail::sqlite_db& db) {
    detail::sqlite_port port{db};
    return detail::user_rows{port}.all();
  });
}

result<void> sqlite_database::delete_user(std::string_view id) {
  return write<void>([&](detail::sqlite_db& db, std::vector<change_event>&) -> result<void> {
    detail::sqlite_port port{db};
    if (!detail::user_rows{port}.erase(id)) return detail::missing("no user " + std::string{id});
    return {};
  });
}

result<std::optional<std::string>> sqlite_database::bootstrap_admin(std::string_view configured_token) {
  using out_type = std::optional<std::string>;
  return write<out_type>(
      [&](detail::sqlite_db& db, std::vector<change_event>&) -> result<out_type> {
        detail::sqlite_port port{db};
        detail::user_rows users{port};
        std::optional<user> admin;
        detail::statement meta{db, "SELECT value FROM meta WHERE name = 'bootstrap_admin'"};
        if (meta.step()) admin = users.find_by_id(meta.text(0));

        out_type printed;
        std::string hash;
        if (!configured_token.empty()) {
          hash = token_hash(configured_token);
        } else if (admin) {
          return out_type{};
        } else {
          printed = new_token();
          hash = token_hash(*printed);
        }
        if (admin && admin->token_hash == hash && admin->role == role::admin &&
            admin->domains.empty())
          return printed;  // unchanged
        if (admin) {
          users.make_admin(admin->id, hash);
          return printed;
        }
        auto made = users.insert_new(std::string{bootstrap_admin_name}, role::admin, {}, hash);
        detail::statement remember{
            db, "INSERT OR REPLACE INTO meta (name, value) VALUES ('bootstrap_admin', ?1)"};
        remember.bind(1, made.id).run();
        return printed;
      });
}

}  // namespace tr::store
