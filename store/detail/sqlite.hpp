#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <sqlite3.h>

namespace tr::store::detail {

/// A SQLite failure, carrying the library's message; the database turns it into an error value.
struct sqlite_failure {
  int code;
  std::string message;
};

/// An open SQLite connection (RAII).
class sqlite_db {
 public:
  /// Opens (creating) the file; throws sqlite_failure.
  explicit sqlite_db(const std::string& path);
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;
  ~sqlite_db();

  /// Runs one or more statements without results; throws sqlite_failure.
  void exec(std::string_view sql);

  /// The value of a single-valued query (`PRAGMA user_version`).
  std::int64_t query_int(std::string_view sql);

  sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

/// A prepared statement (RAII). Bind indexes start at 1, columns at 0.
class statement {
 public:
  statement(sqlite_db& db, std::string_view sql);
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  statement& bind(int index, std::string_view text);
  statement& bind_blob(int index, std::string_view bytes);
  statement& bind(int index, std::int64_t value);

  /// Steps once: true when a row is available, false when done; throws sqlite_failure.
  bool step();

  /// Steps to completion, expecting no row.
  void run();

  /// Resets for another execution with new bindings.
  void reset();

  std::string_view text(int column) const;
  std::string_view blob(int column) const;
  std::int64_t integer(int column) const;
  /// The number of columns of the result.
  int columns() const noexcept { return sqlite3_column_count(stmt_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// A write transaction (`BEGIN IMMEDIATE`); rolls back unless committed.
class transaction {
 public:
  explicit transaction(sqlite_db& db);
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  /// Commits; once this returns, the write is durable (synchronous=FULL).
  void commit();

 private:
  sqlite_db& db_;
  bool done_ = false;
};

/// A read transaction (`BEGIN DEFERRED`): one consistent snapshot across several queries.
class read_snapshot {
 public:
  explicit read_snapshot(sqlite_db& db);
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;
  ~read_snapshot();

 private:
  sqlite_db& db_;
};

}  // namespace tr::store::detail
