// tr::store::database: users and the bootstrap admin.

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "store/database.hpp"
#include "store/detail/database_access.hpp"
#include "store/detail/identifiers.hpp"

namespace tr::store {

namespace {

constexpr std::string_view bootstrap_admin_name = "admin";

std::string new_token() {
  return detail::to_hex(detail::random_bytes(32));
}

std::string token_hash(std::string_view token) {
  return detail::to_hex(detail::sha256(token));
}

void load_domains(detail::sqlite_db& db, user& out) {
  detail::statement query{db,
                          "SELECT domain FROM user_domains WHERE user_id = ?1 ORDER BY position"};
  query.bind(1, out.id);
  while (query.step()) out.domains.emplace_back(query.text(0));
}

user from_row(const detail::statement& row) {
  return user{std::string{row.text(0)}, std::string{row.text(1)}, {},
              std::string{row.text(2)}, row.integer(3) != 0,      std::string{row.text(4)}};
}

constexpr std::string_view select_users =
    "SELECT id, name, token_hash, is_admin, created_at FROM users ";

std::optional<user> find_by_id(detail::sqlite_db& db, std::string_view id) {
  detail::statement query{db, std::string{select_users} + "WHERE id = ?1"};
  query.bind(1, id);
  if (!query.step()) return std::nullopt;
  auto out = from_row(query);
  load_domains(db, out);
  return out;
}

user insert_user(detail::sqlite_db& db, std::string name, std::vector<std::string> domains,
                 bool is_admin, std::string hash) {
  user out{detail::new_id(), std::move(name), std::move(domains),
           std::move(hash),  is_admin,        detail::now_iso8601()};
  detail::statement row{db,
                        "INSERT INTO users (id, name, token_hash, is_admin, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)"};
  row.bind(1, out.id).bind(2, out.name).bind(3, out.token_hash);
  row.bind(4, std::int64_t{out.is_admin ? 1 : 0}).bind(5, out.created_at).run();
  detail::statement domain{db,
                           "INSERT INTO user_domains (user_id, position, domain) "
                           "VALUES (?1, ?2, ?3)"};
  for (std::size_t i = 0; i < out.domains.size(); ++i) {
    domain.bind(1, out.id).bind(2, static_cast<std::int64_t>(i)).bind(3, out.domains[i]).run();
    domain.reset();
  }
  return out;
}

}  // namespace

result<created_user> sqlite_database::create_user(std::string name, std::vector<std::string> domains,
                                           bool is_admin) {
  if (name.empty()) return detail::invalid("a user needs a name");
  return write<created_user>([&](detail::sqlite_db& db, std::vector<change_event>&) {
    auto token = new_token();
    auto made = insert_user(db, std::move(name), std::move(domains), is_admin, token_hash(token));
    return result<created_user>{created_user{std::move(made), std::move(token)}};
  });
}

result<user> sqlite_database::find_user_by_token(std::string_view token) {
  if (token.empty()) return detail::missing("no user holds an empty token");
  auto hash = token_hash(token);
  return read<user>([&](detail::sqlite_db& db) -> result<user> {
    detail::statement query{db, std::string{select_users} + "WHERE token_hash = ?1"};
    query.bind(1, hash);
    if (!query.step()) return detail::missing("no user holds this token");
    auto found = from_row(query);
    // The index lookup already matched; the constant-time comparison guards the final decision.
    if (found.token_hash.size() != hash.size() ||
        CRYPTO_memcmp(found.token_hash.data(), hash.data(), hash.size()) != 0)
      return detail::missing("no user holds this token");
    load_domains(db, found);
    return found;
  });
}

result<std::vector<user>> sqlite_database::list_users() {
  return read<std::vector<user>>([&](detail::sqlite_db& db) {
    std::vector<user> out;
    detail::statement query{db, std::string{select_users} + "ORDER BY id"};
    while (query.step()) out.push_back(from_row(query));
    for (auto& one : out) load_domains(db, one);
    return out;
  });
}

result<void> sqlite_database::delete_user(std::string_view id) {
  return write<void>([&](detail::sqlite_db& db, std::vector<change_event>&) -> result<void> {
    detail::statement row{db, "DELETE FROM users WHERE id = ?1"};
    row.bind(1, id).run();
    if (sqlite3_changes(db.handle()) == 0) return detail::missing("no user " + std::string{id});
    return {};
  });
}

result<std::optional<std::string>> sqlite_database::bootstrap_admin(std::string_view configured_token) {
  using out_type = std::optional<std::string>;
  return write<out_type>(
      [&](detail::sqlite_db& db, std::vector<change_event>&) -> result<out_type> {
        std::optional<user> admin;
        detail::statement meta{db, "SELECT value FROM meta WHERE name = 'bootstrap_admin'"};
        if (meta.step()) admin = find_by_id(db, meta.text(0));

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
        if (admin && admin->token_hash == hash && admin->is_admin) return printed;  // unchanged
        if (admin) {
          detail::statement row{db, "UPDATE users SET token_hash = ?2, is_admin = 1 WHERE id = ?1"};
          row.bind(1, admin->id).bind(2, hash).run();
          return printed;
        }
        auto made = insert_user(db, std::string{bootstrap_admin_name}, {}, true, hash);
        detail::statement remember{
            db, "INSERT OR REPLACE INTO meta (name, value) VALUES ('bootstrap_admin', ?1)"};
        remember.bind(1, made.id).run();
        return printed;
      });
}

}  // namespace tr::store
