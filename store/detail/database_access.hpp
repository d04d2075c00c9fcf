#pragma once

// The transaction plumbing shared by the sources of tr::store::database.

#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "store/sqlite_database.hpp"
#include "store/detail/connection_rows.hpp"
#include "store/detail/crypto.hpp"
#include "store/detail/errors.hpp"
#include "store/detail/sqlite.hpp"

namespace tr::store::detail {

/// The error value for an exception thrown inside a store operation.
error to_error(std::exception_ptr failure);

}  // namespace tr::store::detail

namespace tr::store {

template <class T, class Body>
result<T> sqlite_database::write(Body&& body) {
  if (publishing_thread_.load() == std::this_thread::get_id())
    return error{error_code::reentrant_write,
                 "a change subscriber may not write to the store from its callback"};
  std::lock_guard guard{write_mutex_};
  // A write into a file deleted or replaced under the router would be lost at the next start.
  if (auto gone = file_problem()) return error{error_code::io_error, *gone};
  std::vector<change_event> events;
  std::optional<result<T>> outcome;
  try {
    detail::transaction scope{*writer_};
    outcome.emplace(body(*writer_, events));
    if (!outcome->has_value()) return std::move(*outcome);  // rolled back by scope
    scope.commit();
  } catch (...) {
    return detail::to_error(std::current_exception());
  }
  publishing_thread_.store(std::this_thread::get_id());
  for (const auto& event : events) changes_.publish(event);
  publishing_thread_.store(std::thread::id{});
  return std::move(*outcome);
}

template <class T, class Body>
result<T> sqlite_database::read(Body&& body) {
  std::lock_guard guard{read_mutex_};
  try {
    detail::read_snapshot scope{*reader_};
    return body(*reader_);
  } catch (...) {
    return detail::to_error(std::current_exception());
  }
}

}  // namespace tr::store
