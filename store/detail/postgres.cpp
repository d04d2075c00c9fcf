#include "store/detail/postgres.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "store/detail/crypto.hpp"

namespace tr::store::detail {

std::string one_line(const char* message) {
  std::string out;
  for (const char* c = message ? message : ""; *c; ++c) {
    bool blank = *c == '\n' || *c == '\t' || *c == '\r' || *c == ' ';
    if (!blank)
      out += *c;
    else if (!out.empty() && out.back() != ' ')
      out += ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

pg_result::~pg_result() {
  if (handle_) PQclear(handle_);
}

std::string_view pg_result::text(int row, int column) const {
  return {PQgetvalue(handle_, row, column),
          static_cast<std::size_t>(PQgetlength(handle_, row, column))};
}

std::int64_t pg_result::integer(int row, int column) const {
  auto value = text(row, column);
  std::int64_t out = 0;
  std::from_chars(value.data(), value.data() + value.size(), out);
  return out;
}

std::string pg_result::bytes(int row, int column) const {
  auto value = text(row, column);
  if (value.starts_with("\\x")) value.remove_prefix(2);
  return from_hex(value).value_or(std::string{});
}

std::int64_t pg_result::affected() const {
  const char* count = PQcmdTuples(handle_);
  std::int64_t out = 0;
  if (count) std::from_chars(count, count + std::char_traits<char>::length(count), out);
  return out;
}

std::string pg_bytes(std::string_view raw) {
  return "\\x" + to_hex(raw);
}

pg_connection::pg_connection(const std::string& url, pg_limits limits) : limits_(limits) {
  // Earlier keywords are overridden by what the URI (expanded from dbname) sets.
  const char* keywords[] = {
      "connect_timeout",  "tcp_user_timeout", "keepalives_idle", "keepalives_interval",
      "keepalives_count", "application_name", "dbname",          nullptr};
  const char* values[] = {"3", "4000", "5", "2", "2", "tunnel-router", url.c_str(), nullptr};
  handle_ = PQconnectdbParams(keywords, values, 1);
  if (!handle_) throw postgres_failure{"out of memory", true, {}};
  if (PQstatus(handle_) != CONNECTION_OK) {
    postgres_failure failure{one_line(PQerrorMessage(handle_)), true, {}};
    PQfinish(handle_);
    handle_ = nullptr;
    throw failure;
  }
  PQsetNoticeProcessor(
      handle_, [](void*, const char*) {}, nullptr);
}

pg_connection::~pg_connection() {
  if (handle_) PQfinish(handle_);
}

pg_result pg_connection::check(PGresult* raw) {
  pg_result result{raw};
  auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  postgres_failure failure;
  failure.message = one_line(raw ? PQresultErrorMessage(raw) : PQerrorMessage(handle_));
  if (failure.message.empty()) failure.message = one_line(PQerrorMessage(handle_));
  if (raw)
    if (const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE)) failure.sqlstate = state;
  failure.lost = PQstatus(handle_) != CONNECTION_OK;
  throw failure;
}

bool pg_connection::still_open() {
  // A server shutting down sends a FATAL message, then closes: reading the message leaves the
  // connection looking open, the end of stream behind it does not. A few reads take both.
  for (int read = 0; read < 4 && healthy(); ++read) {
    pollfd ready{PQsocket(handle_), POLLIN, 0};
    if (::poll(&ready, 1, 0) <= 0) break;
    if (!PQconsumeInput(handle_)) return false;
  }
  return healthy();
}

void pg_connection::abandon(const std::string& why, bool unanswered) {
  PQfinish(handle_);
  handle_ = nullptr;
  throw postgres_failure{why, true, {}, unanswered};
}

PGresult* pg_connection::await_result() {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + limits_.answer;
  PGresult* failed = nullptr;  // the first failure: what the statement answers
  PGresult* last = nullptr;
  auto drop = [](PGresult*& r) {
    if (r) PQclear(r);
    r = nullptr;
  };
  auto give_up = [&](const std::string& why) {
    drop(failed);
    drop(last);
    abandon(why);
  };
  for (;;) {
    while (PQisBusy(handle_)) {
      if (limits_.server_up && !limits_.server_up->load()) {
        // An answer already in the socket is taken; only a wait is given up.
        pollfd waiting{PQsocket(handle_), POLLIN, 0};
        if (::poll(&waiting, 1, 0) > 0 && PQconsumeInput(handle_) && !PQisBusy(handle_)) break;
        give_up("PostgreSQL stopped answering");
      }
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0)
        give_up("no answer from PostgreSQL within " + std::to_string(limits_.answer.count()) +
                " ms");
      // Slices of at most 100 ms, so that server_up is read again.
      pollfd ready{PQsocket(handle_), POLLIN, 0};
      int n = ::poll(&ready, 1, static_cast<int>(std::min<long long>(left, 100)));
      if (n < 0 && errno != EINTR) give_up(std::string{"poll: "} + std::strerror(errno));
      if (n > 0 && !PQconsumeInput(handle_)) break;  // lost: PQgetResult says so
    }
    PGresult* next = PQgetResult(handle_);
    if (!next) break;
    auto status = PQresultStatus(next);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && !failed) {
      failed = next;
    } else {
      drop(last);
      last = next;
    }
    if (PQstatus(handle_) != CONNECTION_OK) break;
  }
  if (failed) {
    drop(last);
    return failed;
  }
  return last;
}

void pg_connection::exec(std::string_view sql) {
  if (!PQsendQuery(handle_, std::string{sql}.c_str())) check(nullptr);
  check(await_result());
}

pg_result pg_connection::query(std::string_view sql, std::initializer_list<pg_param> params) {
  return query(sql, std::vector<pg_param>{params});
}

pg_result pg_connection::query(std::string_view sql, const std::vector<pg_param>& params) {
  std::vector<std::string> copies;
  copies.reserve(params.size());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    if (p) {
      copies.emplace_back(*p);
      values.push_back(copies.back().c_str());
    } else {
      values.push_back(nullptr);
    }
  }
  if (!PQsendQueryParams(handle_, std::string{sql}.c_str(), static_cast<int>(values.size()),
                         nullptr, values.data(), nullptr, nullptr, 0))
    return check(nullptr);
  return check(await_result());
}

pg_transaction::~pg_transaction() {
  if (done_ || !db_.healthy()) return;
  // Within the connection's limits, like every statement; a failure here leaves the
  // connection given up (or the server rolls back when it sees it gone).
  try {
    db_.exec("ROLLBACK");
  } catch (const postgres_failure&) {
  }
}

void pg_transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace tr::store::detail
