#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/validation.hpp"
#include "store/model.hpp"

namespace tr::api {

// Users and domains (docs/protocol.md §1, domains), as pure functions.
//
// - An admin sees and changes everything, and alone manages users.
// - A user without domains is not restricted: it sees and changes every connection.
// - A restricted user (one with domains) sees in full the connections sharing one of its
//   domains (exact match of full names; both sides are lower case after validation). It sees
//   cross-domain connections (no domains) read-only, with url, headers and additionalInfo
//   withheld. Other connections do not exist for it (404).
// - A restricted user assigns only domains of its own list and at least one of them. When it
//   changes a connection that also carries domains of other users, those stay as they are: it
//   may neither add nor remove a domain it does not hold.
// - Keys are never part of a view; a new key is returned only by create and regenerate.

/// How much of a connection a user may see.
enum class visibility {
  hidden,     ///< not at all: answer 404
  read_only,  ///< cross-domain connection seen by a restricted user: secrets withheld
  full,       ///< every field except the key; may change and delete it
};

/// True when the user is restricted to its domains.
bool is_restricted(const store::user& user) noexcept;

/// How much of `connection` the user may see.
visibility visibility_of(const store::user& user, const store::connection& connection);

/// True when the user may change, delete or regenerate the key of the connection.
bool may_modify(const store::user& user, const store::connection& connection);

/// True when the user may create, list and delete users.
bool may_manage_users(const store::user& user) noexcept;

/// The connection as the user may see it: key cleared always; url, headers and
/// additional_info cleared for a read-only view; nullopt when hidden.
std::optional<store::connection> view_of(const store::user& user,
                                         const store::connection& connection);

/// Checks the domains a user assigns. `previous` is the connection's current list (empty for a
/// new one). Errors use the form paths (`domains`, `domains[2]`); empty when allowed.
std::vector<field_error> check_domain_assignment(const store::user& user,
                                                 const std::vector<std::string>& requested,
                                                 const std::vector<std::string>& previous = {});

}  // namespace tr::api
