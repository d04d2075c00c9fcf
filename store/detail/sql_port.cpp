#include "store/detail/sql_port.hpp"

#include <cctype>

#include "store/detail/postgres.hpp"
#include "store/detail/sqlite.hpp"

namespace tr::store::detail {

namespace {

/// `$1` → `?1`: SQLite's numbered parameters (no statement here holds a `$` in a literal).
std::string sqlite_text(std::string_view sql) {
  std::string out{sql};
  for (std::size_t i = 0; i + 1 < out.size(); ++i)
    if (out[i] == '$' && std::isdigit(static_cast<unsigned char>(out[i + 1]))) out[i] = '?';
  return out;
}

std::vector<pg_param> pg_params(const std::vector<std::string>& params) {
  return {params.begin(), params.end()};
}

}  // namespace

std::vector<sql_port::row> sqlite_port::query(std::string_view sql,
                                              const std::vector<std::string>& params) {
  statement query{db_, sqlite_text(sql)};
  for (std::size_t i = 0; i < params.size(); ++i) query.bind(static_cast<int>(i + 1), params[i]);
  std::vector<row> out;
  while (query.step()) {
    auto& one = out.emplace_back();
    for (int column = 0; column < query.columns(); ++column) one.emplace_back(query.text(column));
  }
  return out;
}

std::int64_t sqlite_port::run(std::string_view sql, const std::vector<std::string>& params) {
  statement row{db_, sqlite_text(sql)};
  for (std::size_t i = 0; i < params.size(); ++i) row.bind(static_cast<int>(i + 1), params[i]);
  row.run();
  return sqlite3_changes(db_.handle());
}

void sqlite_port::exec(std::string_view sql) {
  db_.exec(sql);
}

std::vector<sql_port::row> pg_port::query(std::string_view sql,
                                          const std::vector<std::string>& params) {
  auto found = db_.query(sql, pg_params(params));
  std::vector<row> out;
  out.reserve(static_cast<std::size_t>(found.rows()));
  for (int i = 0; i < found.rows(); ++i) {
    auto& one = out.emplace_back();
    for (int column = 0; column < found.columns(); ++column)
      one.emplace_back(found.text(i, column));
  }
  return out;
}

std::int64_t pg_port::run(std::string_view sql, const std::vector<std::string>& params) {
  return db_.query(sql, pg_params(params)).affected();
}

void pg_port::exec(std::string_view sql) {
  db_.exec(sql);
}

}  // namespace tr::store::detail
