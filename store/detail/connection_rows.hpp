#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/detail/crypto.hpp"
#include "store/detail/sqlite.hpp"
#include "store/model.hpp"

namespace tr::store::detail {

/// Thrown when a sealed key does not open with the data key (a changed data key or tampering).
struct unsealing_failure {
  std::string connection_id;
};

/// Reads and writes connections across their three tables. Keys are sealed with the
/// connection id as additional data, so a sealed key cannot be moved to another row.
class connection_rows {
 public:
  connection_rows(sqlite_db& db, const sealer& keys) : db_(db), keys_(keys) {}

  /// The connection, or nullopt; throws unsealing_failure or sqlite_failure.
  std::optional<connection> find(std::string_view id);

  /// Every connection, sorted by id.
  std::vector<connection> all();

  /// The ids of the connections with this AS_ID, sorted.
  std::vector<std::string> ids_with_as_id(std::string_view as_id);

  /// True when a connection with this id exists.
  bool exists(std::string_view id);

  /// Inserts a new connection (id, key and timestamps already set).
  void insert(const connection& value);

  /// Replaces every field of an existing connection.
  void replace(const connection& value);

  /// Deletes the connection (its domains, headers and device routes cascade); false if absent.
  bool erase(std::string_view id);

 private:
  void insert_children(const connection& value);
  /// Binds ?1..?10 to the columns of the connections table, the key sealed.
  void bind_fields(statement& row, const connection& value) const;
  connection from_row(const statement& row) const;

  sqlite_db& db_;
  const sealer& keys_;
};

}  // namespace tr::store::detail
