#pragma once

#include "store/detail/postgres.hpp"
#include "store/result.hpp"

namespace tr::store::detail {

/// The newest PostgreSQL schema version this router knows.
inline constexpr int postgres_schema_version = 3;

/// Brings the database to postgres_schema_version, under a transaction-scoped advisory lock so
/// that replicas starting together apply each step once. A newer schema fails with
/// schema_too_new and changes nothing.
result<void> migrate_postgres(pg_connection& db, int up_to = postgres_schema_version);

/// The schema version recorded in the database (0 when none yet); throws postgres_failure.
int postgres_schema_version_of(pg_connection& db);

}  // namespace tr::store::detail
