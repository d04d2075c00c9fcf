#include "store/detail/user_rows.hpp"

#include <algorithm>

#include <openssl/crypto.h>

#include "store/detail/crypto.hpp"
#include "store/detail/identifiers.hpp"

namespace tr::store::detail {

std::string new_token() {
  return to_hex(random_bytes(32));
}

std::string token_hash(std::string_view token) {
  return to_hex(sha256(token));
}

namespace {

constexpr std::string_view select_users =
    "SELECT id, name, token_hash, role, created_at FROM users ";

user from_row(const sql_port::row& row) {
  user out;
  out.id = row[0];
  out.name = row[1];
  out.token_hash = row[2];
  out.role = parse_role(row[3]).value_or(role::viewer);
  out.created_at = row[4];
  return out;
}

}  // namespace

void user_rows::load_domains(user& out) {
  auto found =
      db_.query("SELECT group_name, domain_name, position FROM user_domain_refs WHERE user_id = $1",
                {out.id});
  std::sort(found.begin(), found.end(), [](const sql_port::row& a, const sql_port::row& b) {
    return std::stoll(a[2]) < std::stoll(b[2]);
  });
  for (const auto& row : found) out.domains.push_back({row[0], row[1]});
}

std::optional<user> user_rows::find_by_id(std::string_view id) {
  auto found = db_.query(std::string{select_users} + "WHERE id = $1", {std::string{id}});
  if (found.empty()) return std::nullopt;
  auto out = from_row(found.front());
  load_domains(out);
  return out;
}

std::optional<user> user_rows::find_by_hash(std::string_view hash) {
  auto found = db_.query(std::string{select_users} + "WHERE token_hash = $1", {std::string{hash}});
  if (found.empty()) return std::nullopt;
  auto out = from_row(found.front());
  // The index lookup already matched; the constant-time comparison guards the final decision.
  if (out.token_hash.size() != hash.size() ||
      CRYPTO_memcmp(out.token_hash.data(), hash.data(), hash.size()) != 0)
    return std::nullopt;
  load_domains(out);
  return out;
}

std::vector<user> user_rows::all() {
  std::vector<user> out;
  for (const auto& row : db_.query(select_users)) out.push_back(from_row(row));
  std::sort(out.begin(), out.end(), [](const user& a, const user& b) { return a.id < b.id; });
  for (auto& one : out) load_domains(one);
  return out;
}

void user_rows::insert(const user& value) {
  db_.run("INSERT INTO users (id, name, token_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)",
          {value.id, value.name, value.token_hash, std::string{to_string(value.role)},
           value.created_at});
  for (std::size_t i = 0; i < value.domains.size(); ++i)
    db_.run(
        "INSERT INTO user_domain_refs (user_id, position, group_name, domain_name) "
        "VALUES ($1, $2, $3, $4)",
        {value.id, std::to_string(i), value.domains[i].group, value.domains[i].name});
}

user user_rows::insert_new(std::string name, role access, std::vector<domain_ref> domains,
                           std::string token_hash) {
  user out;
  out.id = new_id();
  out.name = std::move(name);
  out.domains = std::move(domains);
  out.token_hash = std::move(token_hash);
  out.role = access;
  out.created_at = now_iso8601();
  insert(out);
  return out;
}

void user_rows::make_admin(const std::string& id, const std::string& token_hash) {
  db_.run("UPDATE users SET token_hash = $2, role = 'admin' WHERE id = $1", {id, token_hash});
  db_.run("DELETE FROM user_domain_refs WHERE user_id = $1", {id});
}

bool user_rows::erase(std::string_view id) {
  return db_.run("DELETE FROM users WHERE id = $1", {std::string{id}}) > 0;
}

}  // namespace tr::store::detail
