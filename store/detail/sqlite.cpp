#include "store/detail/sqlite.hpp"

namespace tr::store::detail {

namespace {

[[noreturn]] void fail(sqlite3* db, int code) {
  throw sqlite_failure{code, db ? sqlite3_errmsg(db) : sqlite3_errstr(code)};
}

}  // namespace

sqlite_db::sqlite_db(const std::string& path) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    sqlite_failure failure{rc, db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)};
    sqlite3_close(db_);
    db_ = nullptr;
    throw failure;
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
}

sqlite_db::~sqlite_db() {
  sqlite3_close_v2(db_);
}

void sqlite_db::exec(std::string_view sql) {
  std::string text{sql};
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    sqlite_failure failure{rc, message ? message : sqlite3_errstr(rc)};
    sqlite3_free(message);
    throw failure;
  }
}

std::int64_t sqlite_db::query_int(std::string_view sql) {
  statement query{*this, sql};
  return query.step() ? query.integer(0) : 0;
}

statement::statement(sqlite_db& db, std::string_view sql) : db_(db.handle()) {
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc);
}

statement::~statement() {
  sqlite3_finalize(stmt_);
}

statement& statement::bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(db_, rc);
  return *this;
}

statement& statement::bind_blob(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(db_, rc);
  return *this;
}

statement& statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail(db_, rc);
  return *this;
}

bool statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc);
}

void statement::run() {
  while (step()) {
  }
}

void statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string_view statement::text(int column) const {
  auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return data
             ? std::string_view{data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))}
             : std::string_view{};
}

std::string_view statement::blob(int column) const {
  auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return data
             ? std::string_view{data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))}
             : std::string_view{};
}

std::int64_t statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

transaction::transaction(sqlite_db& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

transaction::~transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

read_snapshot::read_snapshot(sqlite_db& db) : db_(db) {
  db_.exec("BEGIN DEFERRED");
}

read_snapshot::~read_snapshot() {
  sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr);
}

}  // namespace tr::store::detail
