#include "store/detail/postgres_schema.hpp"

#include "store/detail/domain_schema.hpp"
#include "store/detail/sql_port.hpp"

#include <array>
#include <string>
#include <string_view>

namespace tr::store::detail {

namespace {

/// The advisory lock key of schema changes (any constant shared by every replica).
constexpr std::string_view migration_lock = "SELECT pg_advisory_xact_lock(7426354021)";

// Step N brings version N-1 to version N. Append new steps (a new table, a new column: one
// entry here, the same change as the SQLite step in schema.cpp); never edit a released one.
constexpr std::array<std::string_view, postgres_schema_version> migrations = {
    // Version 1: the tables of the SQLite schema, plus what replicas share: the generation and
    // change log, downlink replay records and token buckets, and the instances.
    R"sql(
CREATE TABLE meta (
  name  TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);

CREATE TABLE connections (
  id                   TEXT PRIMARY KEY,
  name                 TEXT NOT NULL,
  url                  TEXT NOT NULL,
  content_type         TEXT NOT NULL CHECK (content_type IN ('XML', 'JSON', 'JSON_UNTYPED')),
  as_id                TEXT NOT NULL,
  additional_info      TEXT NOT NULL,
  max_time_deviation_s BIGINT NOT NULL,
  sealed_key           BYTEA NOT NULL,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL
);

CREATE TABLE connection_domains (
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  domain        TEXT NOT NULL,
  PRIMARY KEY (connection_id, position)
);

CREATE TABLE connection_headers (
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  name          TEXT NOT NULL,
  value         TEXT NOT NULL,
  PRIMARY KEY (connection_id, position)
);

CREATE TABLE device_routes (
  dev_eui       TEXT NOT NULL,
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  PRIMARY KEY (dev_eui, connection_id)
);
CREATE INDEX device_routes_by_connection ON device_routes (connection_id);

CREATE TABLE users (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  is_admin   BOOLEAN NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE user_domains (
  user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  domain   TEXT NOT NULL,
  PRIMARY KEY (user_id, position)
);

-- One row: the generation every write bumps (its row lock orders writes cluster-wide), and the
-- newest generation whose change rows were pruned.
CREATE TABLE cluster_state (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  generation     BIGINT NOT NULL,
  pruned_through BIGINT NOT NULL
);
INSERT INTO cluster_state (id, generation, pruned_through) VALUES (1, 0, 0);

-- What each write changed, for the replicas catching up after `generation`.
CREATE TABLE changes (
  generation BIGINT NOT NULL,
  position   INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  subject    TEXT NOT NULL,
  origin     TEXT NOT NULL,
  PRIMARY KEY (generation, position)
);

CREATE TABLE downlink_tokens (
  connection_id TEXT NOT NULL,
  token         TEXT NOT NULL,
  expires_at    TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (connection_id, token)
);
CREATE INDEX downlink_tokens_by_expiry ON downlink_tokens (expires_at);

CREATE TABLE downlink_buckets (
  connection_id TEXT PRIMARY KEY,
  tokens        DOUBLE PRECISION NOT NULL,
  refilled_at   TIMESTAMPTZ NOT NULL
);

-- The cluster-wide downlink check in one round trip. The bucket row, locked first, orders the
-- checks of one connection across replicas; then the replay record, then the rate token.
CREATE FUNCTION spend_downlink(p_connection TEXT, p_token TEXT, p_expires TIMESTAMPTZ,
                               p_rate DOUBLE PRECISION, p_burst DOUBLE PRECISION)
RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
  available DOUBLE PRECISION;
BEGIN
  INSERT INTO downlink_buckets AS b (connection_id, tokens, refilled_at)
  VALUES (p_connection, p_burst, clock_timestamp())
  ON CONFLICT (connection_id) DO UPDATE
    SET tokens = LEAST(p_burst, b.tokens + p_rate *
                       EXTRACT(EPOCH FROM clock_timestamp() - b.refilled_at)),
        refilled_at = clock_timestamp()
  RETURNING tokens INTO available;
  IF EXISTS (SELECT 1 FROM downlink_tokens WHERE connection_id = p_connection
             AND token = p_token AND expires_at > clock_timestamp()) THEN
    RETURN 'replay';
  END IF;
  IF available < 1 THEN
    RETURN 'rate_limited';
  END IF;
  UPDATE downlink_buckets SET tokens = tokens - 1 WHERE connection_id = p_connection;
  INSERT INTO downlink_tokens (connection_id, token, expires_at)
  VALUES (p_connection, p_token, p_expires)
  ON CONFLICT (connection_id, token) DO UPDATE SET expires_at = excluded.expires_at;
  RETURN 'accepted';
END
$$;

CREATE TABLE instances (
  id           TEXT PRIMARY KEY,
  host         TEXT NOT NULL,
  version      TEXT NOT NULL,
  started_at   TIMESTAMPTZ NOT NULL,
  generation   BIGINT NOT NULL,
  heartbeat_at TIMESTAMPTZ NOT NULL
);
)sql",
    // Version 2: a connection can be paused (uplinks not sent, the connection kept).
    R"sql(
ALTER TABLE connections ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE;
)sql",
    // Version 3: domain groups, domains and roles (the SQLite step's text; the data of the
    // plain domain lists is moved by move_legacy_domains after it).
    domains_step_sql,
};

constexpr std::string_view version_table =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";

}  // namespace

int postgres_schema_version_of(pg_connection& db) {
  auto exists = db.query("SELECT to_regclass('schema_version') IS NOT NULL");
  if (exists.text(0, 0) != "t") return 0;
  auto found = db.query("SELECT version FROM schema_version");
  return found.rows() == 0 ? 0 : static_cast<int>(found.integer(0, 0));
}

result<void> migrate_postgres(pg_connection& db, int up_to) {
  pg_transaction step{db};
  db.exec(migration_lock);
  db.exec(version_table);
  auto version = postgres_schema_version_of(db);
  if (version > postgres_schema_version)
    return error{error_code::schema_too_new,
                 "the PostgreSQL database has schema version " + std::to_string(version) +
                     ", newer than this router's " + std::to_string(postgres_schema_version) +
                     ": run the newer router, or a database of this version"};
  if (version >= up_to) return {};
  for (auto v = version; v < up_to; ++v) {
    db.exec(migrations[static_cast<std::size_t>(v)]);
    if (v + 1 == 3) {
      pg_port port{db};
      move_legacy_domains(port);
    }
  }
  db.exec("DELETE FROM schema_version");
  db.query("INSERT INTO schema_version (version) VALUES ($1)", {std::to_string(up_to)});
  step.commit();
  return {};
}

}  // namespace tr::store::detail
