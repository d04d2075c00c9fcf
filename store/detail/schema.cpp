#include "store/detail/schema.hpp"

#include "store/detail/domain_schema.hpp"
#include "store/detail/sql_port.hpp"

#include <array>
#include <string>
#include <string_view>

namespace tr::store::detail {

namespace {

// Step N brings version N-1 to version N. Append new steps; never edit a released one.
constexpr std::array<std::string_view, schema_version> migrations = {
    // Version 1: connections with their domains and headers, device routes, users.
    R"sql(
CREATE TABLE meta (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE connections (
  id                   TEXT PRIMARY KEY,
  name                 TEXT NOT NULL,
  url                  TEXT NOT NULL,
  content_type         TEXT NOT NULL CHECK (content_type IN ('XML', 'JSON', 'JSON_UNTYPED')),
  as_id                TEXT NOT NULL,
  additional_info      TEXT NOT NULL,
  max_time_deviation_s INTEGER NOT NULL,
  sealed_key           BLOB NOT NULL,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE connection_domains (
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  domain        TEXT NOT NULL,
  PRIMARY KEY (connection_id, position)
) WITHOUT ROWID;

CREATE TABLE connection_headers (
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  name          TEXT NOT NULL,
  value         TEXT NOT NULL,
  PRIMARY KEY (connection_id, position)
) WITHOUT ROWID;

CREATE TABLE device_routes (
  dev_eui       TEXT NOT NULL,
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  PRIMARY KEY (dev_eui, connection_id)
) WITHOUT ROWID;
CREATE INDEX device_routes_by_connection ON device_routes (connection_id);

CREATE TABLE users (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  is_admin   INTEGER NOT NULL,
  created_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE user_domains (
  user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  domain   TEXT NOT NULL,
  PRIMARY KEY (user_id, position)
) WITHOUT ROWID;
)sql",
    // Version 2: a connection can be paused (uplinks not sent, the connection kept).
    R"sql(
ALTER TABLE connections ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
)sql",
    // Version 3: domain groups, domains and roles (shared with PostgreSQL; the data of the
    // plain domain lists is moved by move_legacy_domains after this text).
    domains_step_sql,
};

}  // namespace

result<void> migrate(sqlite_db& db, std::int64_t up_to) {
  try {
    for (;;) {
      transaction step{db};
      auto version = db.query_int("PRAGMA user_version");
      if (version > schema_version)
        return error{error_code::schema_too_new,
                     "the database has schema version " + std::to_string(version) +
                         ", newer than this router's " + std::to_string(schema_version)};
      if (version >= up_to) return {};
      db.exec(migrations[static_cast<std::size_t>(version)]);
      if (version + 1 == 3) {
        sqlite_port port{db};
        move_legacy_domains(port);
      }
      db.exec("PRAGMA user_version = " + std::to_string(version + 1));
      step.commit();
    }
  } catch (const sqlite_failure& failure) {
    return error{error_code::io_error, "schema migration failed: " + failure.message};
  }
}

}  // namespace tr::store::detail
