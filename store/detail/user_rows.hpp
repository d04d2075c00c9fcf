#pragma once

// The rows of users and their domain restrictions, written once for both backends.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/detail/sql_port.hpp"
#include "store/model.hpp"

namespace tr::store::detail {

/// A new bearer token: 64 random hexadecimal digits.
std::string new_token();
/// What is stored of a token: its SHA-256, 64 lower-case hexadecimal digits.
std::string token_hash(std::string_view token);

/// Reads and writes users across `users` and `user_domain_refs`.
class user_rows {
 public:
  explicit user_rows(sql_port& db) : db_(db) {}

  std::optional<user> find_by_id(std::string_view id);
  /// The user whose token hash is `hash` (compared in constant time after the index lookup).
  std::optional<user> find_by_hash(std::string_view hash);
  /// Every user, sorted by id.
  std::vector<user> all();
  /// Inserts `value` as it is (id, timestamps and hash set by the caller).
  void insert(const user& value);
  /// A new user: a fresh id and creation time.
  user insert_new(std::string name, role access, std::vector<domain_ref> domains,
                  std::string token_hash);
  /// Gives the user this token hash and the admin role, without restrictions.
  void make_admin(const std::string& id, const std::string& token_hash);
  /// Deletes a user; false if absent.
  bool erase(std::string_view id);

 private:
  void load_domains(user& out);

  sql_port& db_;
};

}  // namespace tr::store::detail
