#pragma once

#include <string_view>

#include "api/domain_forms.hpp"
#include "api/validation.hpp"

namespace tr::api {

// Decoding of the admin API's JSON bodies into forms, before validation. Type mismatches and
// unknown fields become `malformed` entries with their paths, so a 400 still lists every
// failing field at once. JSON null counts as absent. The server-set fields `id`, `createdAt`
// and `updatedAt` are ignored (clients may send back what they read).

/// Decodes `POST/PUT/PATCH /api/v1/connections` bodies. A body that is not a JSON object gives
/// a form whose only malformed entry has the path `body`.
connection_form parse_connection_form(std::string_view json);

/// Decodes a `POST /api/v1/users` body (`name`, `role`, `domains`).
user_form parse_user_form(std::string_view json);

/// Decodes a `POST|PATCH /api/v1/domain-groups` body (`name`, `description`, `color`).
domain_group_form parse_domain_group_form(std::string_view json);

/// Decodes a `POST|PATCH /api/v1/domains` body (`group`, `name`, `description`, `active`).
domain_form parse_domain_form(std::string_view json);

}  // namespace tr::api
