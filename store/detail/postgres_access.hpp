#pragma once

// The transaction plumbing shared by the sources of tr::store::postgres_database.

#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/connection_rows.hpp"
#include "store/detail/crypto.hpp"
#include "store/detail/errors.hpp"
#include "store/detail/postgres.hpp"
#include "store/postgres_database.hpp"

namespace tr::store::detail {

/// The NOTIFY channel of committed changes.
inline constexpr const char* change_channel = "tunnel_router_changes";

/// The error value for an exception thrown inside a PostgreSQL store operation: `unavailable`
/// when the server cannot be reached, `io_error` otherwise.
error postgres_error(std::exception_ptr failure);

/// The name a change kind has in the change log.
std::string_view change_kind_name(change_kind kind) noexcept;

/// Reads and writes connections across their three tables (keys sealed as in SQLite).
class pg_connection_rows {
 public:
  pg_connection_rows(pg_connection& db, const sealer& keys) : db_(db), keys_(keys) {}

  std::optional<connection> find(std::string_view id);
  std::vector<connection> all();
  std::vector<std::string> ids_with_as_id(std::string_view as_id);
  bool exists(std::string_view id);
  void insert(const connection& value);
  void replace(const connection& value);
  bool erase(std::string_view id);

 private:
  connection from_row(const pg_result& rows, int row) const;
  void insert_children(const connection& value);

  pg_connection& db_;
  const sealer& keys_;
};

/// Every device route, sorted by DevEUI.
std::vector<device_route> all_routes(pg_connection& db);

/// The route of one (normalized) device; empty ids when it has none.
device_route route_of(pg_connection& db, const std::string& dev_eui);

}  // namespace tr::store::detail

namespace tr::store {

template <class T, class Body>
result<T> postgres_database::write(Body&& body) {
  if (publishing_thread_.load() == std::this_thread::get_id())
    return error{error_code::reentrant_write,
                 "a change subscriber may not write to the store from its callback"};
  std::vector<change_event> events;
  std::optional<result<T>> outcome;
  // From the generation taken until the events are handed to the listener (or the write
  // failed): the listener, seeing its change rows, waits for the hand-over.
  std::optional<std::int64_t> own;
  {
    std::lock_guard guard{session_mutex_};
    // A write that does not commit gives its generation up before the session does: the next
    // write takes the same number, and must find it its own.
    struct forget_unless_committed {
      postgres_database& self;
      std::optional<std::int64_t>& generation;
      bool committed = false;
      ~forget_unless_committed() {
        if (generation && !committed) self.forget_own(*generation);
      }
    } forget{*this, own};
    try {
      auto& db = session();
      detail::pg_transaction scope{db};
      auto generation =
          db.query("UPDATE cluster_state SET generation = generation + 1 RETURNING generation")
              .integer(0, 0);
      remember_own(generation);
      own = generation;
      outcome.emplace(body(db, events));
      if (!outcome->has_value()) return std::move(*outcome);  // rolled back by scope
      if (!events.empty()) {
        auto text = std::to_string(generation);
        for (std::size_t i = 0; i < events.size(); ++i)
          db.query(
              "INSERT INTO changes (generation, position, kind, subject, origin) "
              "VALUES ($1, $2, $3, $4, $5)",
              {text, std::to_string(i), detail::change_kind_name(events[i].kind), events[i].id,
               instance_id_});
        db.query("SELECT pg_notify($1, $2)", {detail::change_channel, text});
      }
      scope.commit();
      forget.committed = true;
    } catch (const detail::postgres_failure& failure) {
      // The connection went with the transaction's outcome unknown (a COMMIT may have been
      // applied): the listener reloads everything once it is back.
      if (failure.lost) reload_needed_ = true;
      return detail::postgres_error(std::current_exception());
    } catch (...) {
      return detail::postgres_error(std::current_exception());
    }
  }
  // Published by the listener in generation order, without holding the session (a subscriber
  // may read).
  publish_own(*own, std::move(events));
  return std::move(*outcome);
}

template <class T, class Body>
result<T> postgres_database::read(Body&& body) {
  std::lock_guard guard{session_mutex_};
  try {
    auto& db = session();
    detail::pg_transaction scope{db};
    db.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    auto out = body(db);
    scope.commit();
    return out;
  } catch (...) {
    return detail::postgres_error(std::current_exception());
  }
}

}  // namespace tr::store
