#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/validation.hpp"
#include "store/database.hpp"

namespace tr::api::detail {

// Who may route devices where (see api/admin_api.hpp): a caller routes a device only to
// connections it may change; it sees a route only when it sees every connection of it, and
// replaces or deletes one only when it may change every connection of it. Admins and users
// without domains pass every check.

/// Connections by id, as far as they were looked up.
using connection_index = std::unordered_map<std::string, store::connection>;

/// Adds the connections named in `ids` that exist to `index`; fails only on a store failure.
store::result<void> look_up(store::database& db, const std::vector<std::string>& ids,
                            connection_index& index);

/// What is wrong with routing a device to `ids`.
struct target_problems {
  std::vector<field_error> errors;     ///< unknown or hidden ids (`connections[i]`): a 400
  std::optional<std::string> refusal;  ///< a connection the caller may only read: a 403
};

/// Checks the connections a caller routes a device to.
target_problems check_targets(const store::user& caller, const std::vector<std::string>& ids,
                              const connection_index& index);

/// True when the caller sees every connection of the route (ids missing from `index` are
/// ignored: they were deleted meanwhile).
bool may_see_route(const store::user& caller, const store::device_route& route,
                   const connection_index& index);

/// True when the caller may change every connection of the route.
bool may_change_route(const store::user& caller, const store::device_route& route,
                      const connection_index& index);

/// The refusal of a caller that may not change a device's existing route.
std::string route_refusal(const std::string& dev_eui);

}  // namespace tr::api::detail
