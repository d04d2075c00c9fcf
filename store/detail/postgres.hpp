#pragma once

// A thin RAII layer over libpq for tr::store::postgres_database.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

namespace tr::store::detail {

/// A PostgreSQL failure; `lost` when the connection itself is gone (the server is unreachable).
struct postgres_failure {
  std::string message;
  bool lost = false;
  std::string sqlstate;  ///< five characters when the server reported an error
};

/// A query result (RAII). Rows and columns start at 0; every value arrives as text.
class pg_result {
 public:
  explicit pg_result(PGresult* handle) : handle_(handle) {}
  pg_result(pg_result&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  pg_result(const pg_result&) = delete;
  pg_result& operator=(const pg_result&) = delete;
  ~pg_result();

  int rows() const noexcept { return PQntuples(handle_); }
  int columns() const noexcept { return PQnfields(handle_); }
  std::string_view text(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  bool is_null(int row, int column) const { return PQgetisnull(handle_, row, column) != 0; }
  /// A `bytea` column's bytes (text output in hex format).
  std::string bytes(int row, int column) const;
  /// The number of rows an INSERT, UPDATE or DELETE touched.
  std::int64_t affected() const;

 private:
  PGresult* handle_;
};

/// One parameter: text, or SQL NULL.
using pg_param = std::optional<std::string_view>;

/// A `bytea` parameter in hex input format.
std::string pg_bytes(std::string_view raw);

/// An open connection (RAII). Connect and query failures throw postgres_failure.
class pg_connection {
 public:
  /// Connects to `url`; `connect_timeout` (3 s) and TCP timeouts apply unless the URL sets them.
  explicit pg_connection(const std::string& url);
  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;
  ~pg_connection();

  /// Runs one or more statements without parameters.
  void exec(std::string_view sql);

  /// Runs one statement with text parameters ($1, $2, ...).
  pg_result query(std::string_view sql, std::initializer_list<pg_param> params = {});
  pg_result query(std::string_view sql, const std::vector<pg_param>& params);

  /// True while the connection is usable.
  bool healthy() const noexcept { return PQstatus(handle_) == CONNECTION_OK; }

  PGconn* handle() const noexcept { return handle_; }

 private:
  pg_result check(PGresult* result);

  PGconn* handle_ = nullptr;
};

/// A transaction on a connection; rolls back unless committed.
class pg_transaction {
 public:
  explicit pg_transaction(pg_connection& db) : db_(db) { db_.exec("BEGIN"); }
  pg_transaction(const pg_transaction&) = delete;
  pg_transaction& operator=(const pg_transaction&) = delete;
  ~pg_transaction();

  void commit();

 private:
  pg_connection& db_;
  bool done_ = false;
};

}  // namespace tr::store::detail
