#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/model.hpp"
#include "store/result.hpp"

namespace tr::store::detail {

/// An invalid_argument error with this message.
inline error invalid(std::string message) {
  return error{error_code::invalid_argument, std::move(message)};
}

/// A not_found error with this message.
inline error missing(std::string message) {
  return error{error_code::not_found, std::move(message)};
}

/// A conflict when a connection other than `own_id` has AS_ID `as_id` (a downlink names only
/// its AS_ID, so it must lead to one connection). Checked inside the write's transaction, which
/// is serialized with every other write (in cluster mode too), so two replicas cannot both
/// take the same AS_ID. `Rows` is either backend's connection_rows.
template <class Rows>
std::optional<error> as_id_in_use(Rows& rows, std::string_view as_id, std::string_view own_id) {
  for (const auto& id : rows.ids_with_as_id(as_id))
    if (id != own_id)
      return error{error_code::conflict, "asId " + std::string{as_id} +
                                             " is already used by another connection: " +
                                             std::string{as_id_unique_reason}};
  return std::nullopt;
}

/// Why update_connection refuses `changed` over the stored `existing` before looking at its
/// fields: the stored one is no longer `based_on` (changed_meanwhile), or a changed AS_ID is
/// taken (conflict). `Rows` is either backend's connection_rows.
template <class Rows>
std::optional<error> update_refusal(Rows& rows, const connection& existing,
                                    const connection& changed, const connection* based_on) {
  if (based_on && !(existing == *based_on))
    return error{error_code::changed_meanwhile, "connection " + changed.id + " changed meanwhile"};
  if (changed.as_id != existing.as_id) return as_id_in_use(rows, changed.as_id, changed.id);
  return std::nullopt;
}

}  // namespace tr::store::detail
