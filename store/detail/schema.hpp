#pragma once

#include <cstdint>

#include "store/detail/sqlite.hpp"
#include "store/result.hpp"

namespace tr::store::detail {

/// The schema version this build writes (`PRAGMA user_version`).
inline constexpr std::int64_t schema_version = 3;

/// Brings the database up to schema_version (or `up_to`, for tests that build an old database),
/// each step in its own transaction. A database of a newer version is refused
/// (error_code::schema_too_new), never downgraded.
result<void> migrate(sqlite_db& db, std::int64_t up_to = schema_version);

}  // namespace tr::store::detail
