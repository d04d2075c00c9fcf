#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tr::store {

/// What went wrong in a store operation.
enum class error_code {
  not_found,           ///< no connection, device or user with that id/token
  invalid_argument,    ///< a malformed id, key or DevEUI reached the store
  unknown_connection,  ///< a device route names a connection that does not exist
  wrong_data_key,      ///< the data key does not decrypt this database
  bad_data_key,        ///< the data key (env or data.key) is malformed or unreadable
  schema_too_new,      ///< the database was written by a newer version of the router
  reentrant_write,     ///< a change subscriber tried to write from inside its callback
  io_error,            ///< SQLite or the file system failed
  unavailable,         ///< the shared store (PostgreSQL) cannot be reached; retry later
  conflict,            ///< the write clashes with what is stored (a name taken, a domain in use)
  changed_meanwhile,   ///< the stored value is no longer the one the change was based on
};

/// The name of an error code, for logs (`not_found`, ...).
const char* to_string(error_code code) noexcept;

/// An error: its code and a one-line message for humans.
struct error {
  error_code code;
  std::string message;
  std::string field = {};  ///< the input field at fault (`name`, `group`), when there is one
};

/// A value or an error (std::expected is missing from g++ 12).
template <class T>
class result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(error err) : state_(std::in_place_index<1>, std::move(err)) {}

  /// True when the operation succeeded.
  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; only when has_value().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; only when !has_value().
  const error& error_value() const& { return std::get<1>(state_); }

 private:
  std::variant<T, error> state_;
};

/// Success or an error, for operations without a value.
template <>
class result<void> {
 public:
  result() = default;
  result(error err) : error_(std::move(err)), failed_(true) {}

  /// True when the operation succeeded.
  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The error; only when !has_value().
  const error& error_value() const& { return error_; }

 private:
  error error_{error_code::io_error, {}};
  bool failed_ = false;
};

}  // namespace tr::store
