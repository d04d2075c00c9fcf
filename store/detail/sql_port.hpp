#pragma once

// The SQL the two backends share: statements written once, in the subset both dialects agree
// on, with text parameters `$1`, `$2`, ... (PostgreSQL's form; rewritten to `?1`, `?2` for
// SQLite). Values come back as text: integers as their digits, booleans stored as INTEGER 0/1.
// Results are not sorted by the database (collations differ): callers sort in C++.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tr::store::detail {

class sqlite_db;
class pg_connection;

/// One transaction's access to the tables, whichever the backend. Failures throw the backend's
/// exception (sqlite_failure, postgres_failure), which its transaction turns into an error.
class sql_port {
 public:
  using row = std::vector<std::string>;

  virtual ~sql_port() = default;

  /// Runs one statement; its rows.
  virtual std::vector<row> query(std::string_view sql,
                                 const std::vector<std::string>& params = {}) = 0;

  /// Runs one statement; the number of rows it inserted, updated or deleted.
  virtual std::int64_t run(std::string_view sql, const std::vector<std::string>& params = {}) = 0;

  /// Runs statements without parameters (schema changes).
  virtual void exec(std::string_view sql) = 0;
};

/// The port over a SQLite connection.
class sqlite_port final : public sql_port {
 public:
  explicit sqlite_port(sqlite_db& db) : db_(db) {}
  std::vector<row> query(std::string_view sql, const std::vector<std::string>& params) override;
  std::int64_t run(std::string_view sql, const std::vector<std::string>& params) override;
  void exec(std::string_view sql) override;

 private:
  sqlite_db& db_;
};

/// The port over a PostgreSQL connection.
class pg_port final : public sql_port {
 public:
  explicit pg_port(pg_connection& db) : db_(db) {}
  std::vector<row> query(std::string_view sql, const std::vector<std::string>& params) override;
  std::int64_t run(std::string_view sql, const std::vector<std::string>& params) override;
  void exec(std::string_view sql) override;

 private:
  pg_connection& db_;
};

}  // namespace tr::store::detail
