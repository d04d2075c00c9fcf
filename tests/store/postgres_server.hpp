#pragma once

// The test PostgreSQL (scripts/test-postgres.sh, started by the CTest fixture `postgres`) and
// fresh databases on it, one per test.

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include <libpq-fe.h>

namespace tr::store::testing {

/// The URI of the test server's maintenance database; throws when the fixture did not run.
inline std::string postgres_server_url() {
  if (const char* given = std::getenv("TR_TEST_POSTGRES_URL"); given && *given) return given;
  std::ifstream in{std::string{TR_POSTGRES_STATE} + "/url"};
  std::string url;
  if (!std::getline(in, url) || url.empty())
    throw std::runtime_error(
        "no test PostgreSQL: run the tests through ctest (fixture `postgres`), or "
        "scripts/test-postgres.sh start " TR_POSTGRES_STATE);
  return url;
}

/// Runs one statement on the maintenance database; throws on failure.
inline void postgres_admin(const std::string& sql) {
  auto url = postgres_server_url();
  PGconn* db = PQconnectdb(url.c_str());
  std::string problem;
  if (PQstatus(db) != CONNECTION_OK) {
    problem = PQerrorMessage(db);
  } else {
    PGresult* result = PQexec(db, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK)
      problem = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(db);
  if (!problem.empty()) throw std::runtime_error("test PostgreSQL: " + sql + ": " + problem);
}

/// A new empty schema on the test server (the URI sets it as the search path, so the store sees
/// an empty database of its own), dropped at the end. Schemas are made at once where a
/// CREATE DATABASE takes a second.
class postgres_database_scope {
 public:
  postgres_database_scope() {
    std::random_device seed;
    name_ = "tr_test_" + std::to_string(seed()) + "_" + std::to_string(seed());
    postgres_admin("CREATE SCHEMA " + name_);
    auto server = postgres_server_url();
    url_ = server + (server.find('?') == std::string::npos ? "?" : "&") +
           "options=-csearch_path%3D" + name_;
  }
  ~postgres_database_scope() {
    try {
      postgres_admin("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (...) {
    }
  }
  postgres_database_scope(const postgres_database_scope&) = delete;
  postgres_database_scope& operator=(const postgres_database_scope&) = delete;

  /// The URI of this schema.
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
};

}  // namespace tr::store::testing
