#pragma once

// Schema step 3, the same on both backends: domain groups, domains, roles, and references to
// domains in place of the plain strings of versions 1 and 2.

#include <string_view>

#include "store/detail/sql_port.hpp"

namespace tr::store::detail {

/// The tables of step 3 (SQL both dialects accept).
inline constexpr std::string_view domains_step_sql = R"sql(
CREATE TABLE domain_groups (
  name        TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  color       TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE domains (
  group_name  TEXT NOT NULL REFERENCES domain_groups (name),
  name        TEXT NOT NULL,
  description TEXT NOT NULL,
  active      INTEGER NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (group_name, name)
);

CREATE TABLE connection_domain_refs (
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  group_name    TEXT NOT NULL,
  domain_name   TEXT NOT NULL,
  PRIMARY KEY (connection_id, position),
  FOREIGN KEY (group_name, domain_name) REFERENCES domains (group_name, name)
);
CREATE INDEX connection_domain_refs_by_domain ON connection_domain_refs (group_name, domain_name);

CREATE TABLE user_domain_refs (
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  group_name  TEXT NOT NULL,
  domain_name TEXT NOT NULL,
  PRIMARY KEY (user_id, position),
  FOREIGN KEY (group_name, domain_name) REFERENCES domains (group_name, name)
);
CREATE INDEX user_domain_refs_by_domain ON user_domain_refs (group_name, domain_name);

-- Domain strings of versions 1-2 that were not paths (owner_kind: connection or user).
CREATE TABLE unmigrated_domains (
  owner_kind TEXT NOT NULL,
  owner_id   TEXT NOT NULL,
  position   INTEGER NOT NULL,
  text       TEXT NOT NULL
);

ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'connections-manager';
UPDATE users SET role = 'admin' WHERE is_admin;
)sql";

/// Moves the data of versions 1–2 to the tables of step 3, then drops the old ones. A string
/// that reads as a domain path (is_domain_path) becomes a reference to that domain in group
/// `default` (made as needed, with the domain's parents); others, and any an admin held (an
/// admin is never restricted), are kept verbatim in `unmigrated_domains`. Users with is_admin
/// become `admin`, the others `connections-manager`. Runs inside the step's transaction.
void move_legacy_domains(sql_port& db);

}  // namespace tr::store::detail
