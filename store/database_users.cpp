// tr::store::sqlite_database: the bootstrap admin and the shared-SQL hook (the other user calls:
// database_shared.cpp).

#include "store/database.hpp"
#include "store/detail/database_access.hpp"
#include "store/detail/sql_port.hpp"
#include "store/detail/user_rows.hpp"

namespace tr::store {

namespace {

constexpr std::string_view bootstrap_admin_name = "admin";

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
          hash = detail::token_hash(configured_token);
        } else if (admin) {
          return out_type{};
        } else {
          printed = detail::new_token();
          hash = detail::token_hash(*printed);
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
