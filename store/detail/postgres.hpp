#pragma once

// A thin RAII layer over libpq for tr::store::postgres_database.

#include <atomic>
#include <chrono>
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
  bool unanswered = false;  ///< lost because no answer came in time (the connection was dropped)
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

/// libpq's message on one line: line breaks and tabs become single spaces.
std::string one_line(const char* message);

/// How long a connection waits for the server's answer to one statement. A server that stops
/// answering (stopped, overloaded, a network that drops packets without a reset) would
/// otherwise hold the caller for as long as TCP keeps the connection: past `answer`, or as
/// soon as `server_up` (the change listener's view, when given) turns false, the connection is
/// given up and the statement fails as `lost`. A statement abandoned before its transaction's
/// COMMIT was sent is rolled back by the server; one abandoned while waiting for the COMMIT's
/// answer may still have been applied.
struct pg_limits {
  std::chrono::milliseconds answer{60'000};
  const std::atomic<bool>* server_up = nullptr;
};

/// An open connection (RAII). Connect and query failures throw postgres_failure.
class pg_connection {
 public:
  /// Connects to `url`; `connect_timeout` (3 s) and TCP timeouts apply unless the URL sets them.
  explicit pg_connection(const std::string& url, pg_limits limits = {});
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

  /// healthy(), and the server has not closed it meanwhile (a restarted server says goodbye on
  /// every connection: that is read here, without waiting, so that the next statement goes to
  /// a new connection instead of failing on the old one).
  bool still_open();

  PGconn* handle() const noexcept { return handle_; }

  /// The wait for an answer from now on (for a statement known to take long).
  std::chrono::milliseconds answer_limit() const noexcept { return limits_.answer; }
  void set_answer_limit(std::chrono::milliseconds limit) noexcept { limits_.answer = limit; }

 private:
  pg_result check(PGresult* result);
  /// The result of the statement just sent (the first failure, else the last result), waited
  /// for within limits_.
  PGresult* await_result();
  /// Closes the connection and throws a lost postgres_failure saying `why`.
  [[noreturn]] void abandon(const std::string& why, bool unanswered = true);

  PGconn* handle_ = nullptr;
  pg_limits limits_;
};

/// Raises a connection's answer limit for the statements of one scope (a reload of everything,
/// housekeeping), back to what it was at the end.
class pg_longer_answers {
 public:
  pg_longer_answers(pg_connection& db, std::chrono::milliseconds limit)
      : db_(db), before_(db.answer_limit()) {
    db_.set_answer_limit(limit);
  }
  pg_longer_answers(const pg_longer_answers&) = delete;
  pg_longer_answers& operator=(const pg_longer_answers&) = delete;
  ~pg_longer_answers() { db_.set_answer_limit(before_); }

 private:
  pg_connection& db_;
  std::chrono::milliseconds before_;
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
