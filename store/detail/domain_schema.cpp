#include "store/detail/domain_schema.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "logging/log.hpp"
#include "store/detail/domain_rows.hpp"
#include "store/detail/identifiers.hpp"
#include "store/model.hpp"

namespace tr::store::detail {

namespace {

class migration {
 public:
  explicit migration(sql_port& db) : db_(db) {}

  /// The strings kept in unmigrated_domains.
  std::size_t unmigrated() const noexcept { return unmigrated_; }

  /// Moves one owner's strings (rows ordered by owner then position).
  void move(std::string_view kind, std::string_view refs_table, std::string_view owner_column,
            const std::vector<sql_port::row>& rows, const std::set<std::string>& admins) {
    std::string owner;
    int position = 0, kept = 0;
    // A user (not an admin) had domains, so restrictions: were none of them moved, no domain
    // would mean no restriction at all. It is restricted to a domain that holds nothing instead.
    auto restrict_if_none_moved = [&] {
      if (kind != "user" || owner.empty() || position > 0 || kept == 0 || admins.contains(owner))
        return;
      db_.run("INSERT INTO " + std::string{refs_table} + " (" + std::string{owner_column} +
                  ", position, group_name, domain_name) VALUES ($1, 0, $2, $3)",
              {owner, std::string{migrated_group_name}, holding_nothing()});
      logging::warning(
          "store: a user's domains could not be migrated: it is restricted to a domain that "
          "holds nothing until an admin gives it others",
          {{"user", owner},
           {"domain", std::string{migrated_group_name} + ":" + holding_nothing()}});
    };
    for (const auto& row : rows) {
      if (row[0] != owner) {
        restrict_if_none_moved();
        owner = row[0], position = 0, kept = 0;
      }
      const auto& text = row[1];
      if (is_domain_path(text) && !admins.contains(owner)) {
        ensure(text);
        db_.run("INSERT INTO " + std::string{refs_table} + " (" + std::string{owner_column} +
                    ", position, group_name, domain_name) VALUES ($1, $2, $3, $4)",
                {owner, std::to_string(position++), std::string{migrated_group_name}, text});
      } else {
        db_.run(
            "INSERT INTO unmigrated_domains (owner_kind, owner_id, position, text) "
            "VALUES ($1, $2, $3, $4)",
            {std::string{kind}, owner, std::to_string(kept++), text});
        ++unmigrated_;
      }
    }
    restrict_if_none_moved();
  }

 private:
  /// The inactive domain of group `default` that restricts users whose domains could not be
  /// moved, made on first use (under a name no moved domain has).
  const std::string& holding_nothing() {
    if (!holding_nothing_.empty()) return holding_nothing_;
    std::string name = "unmigrated";
    for (int n = 2; made_.contains(name); ++n) name = "unmigrated-" + std::to_string(n);
    ensure(name);
    db_.run("UPDATE domains SET active = 0, description = $1 WHERE group_name = $2 AND name = $3",
            {"Restricts the users whose domains could not be migrated",
             std::string{migrated_group_name}, name});
    holding_nothing_ = name;
    return holding_nothing_;
  }

  /// Makes the domain `name` of group `default`, its parents first, and the group.
  void ensure(const std::string& name) {
    if (made_.contains(name)) return;
    auto parent = parent_of(name);
    if (!parent.empty())
      ensure(std::string{parent});
    else if (made_.empty())
      db_.run(
          "INSERT INTO domain_groups (name, description, color, created_at) "
          "VALUES ($1, $2, $3, $4)",
          {std::string{migrated_group_name}, "Domains of the plain domain lists before groups",
           std::string{default_group_color}, now_iso8601()});
    db_.run(
        "INSERT INTO domains (group_name, name, description, active, created_at) "
        "VALUES ($1, $2, '', 1, $3)",
        {std::string{migrated_group_name}, name, now_iso8601()});
    made_.insert(name);
  }

  sql_port& db_;
  std::set<std::string> made_;
  std::string holding_nothing_;
  std::size_t unmigrated_ = 0;
};

/// Rows `owner, text` ordered by owner and position.
std::vector<sql_port::row> ordered(std::vector<sql_port::row> rows) {
  std::sort(rows.begin(), rows.end(), [](const sql_port::row& a, const sql_port::row& b) {
    return a[0] != b[0] ? a[0] < b[0] : std::stoll(a[2]) < std::stoll(b[2]);
  });
  return rows;
}

}  // namespace

void move_legacy_domains(sql_port& db) {
  std::set<std::string> admins;
  for (const auto& row : db.query("SELECT id FROM users WHERE role = 'admin'"))
    admins.insert(row[0]);
  migration step{db};
  step.move("connection", "connection_domain_refs", "connection_id",
            ordered(db.query("SELECT connection_id, domain, position FROM connection_domains")),
            {});
  step.move("user", "user_domain_refs", "user_id",
            ordered(db.query("SELECT user_id, domain, position FROM user_domains")), admins);
  if (step.unmigrated() > 0)
    logging::warning(
        "store: domain strings that were not domain paths (or were held by an admin) kept in "
        "the table unmigrated_domains",
        {{"count", std::to_string(step.unmigrated())}});
  db.exec(
      "DROP TABLE connection_domains; DROP TABLE user_domains; "
      "ALTER TABLE users DROP COLUMN is_admin;");
}

}  // namespace tr::store::detail
