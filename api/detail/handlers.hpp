#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/admin_api.hpp"
#include "api/validation.hpp"
#include "store/database.hpp"

namespace tr::api::detail {

/// What every endpoint handler gets: the store, the authenticated caller and the request.
struct call {
  store::database& db;
  const store::user& caller;
  const api_request& request;
  const admin_api::options& options;
};

/// A JSON answer.
api_answer json_answer(int status, std::string body);

/// `{"error": message}` with `status`.
api_answer error_answer(int status, std::string_view message);

/// 400 `{"errors": [...]}`.
api_answer field_errors_answer(const std::vector<field_error>& errors);

/// The answer to a failed store operation: not_found 404, invalid input 400, anything else 500.
api_answer store_failure(const store::error& failure);

/// 204 without a body.
api_answer no_content();

/// Appends the errors of `more` whose path `errors` does not already hold.
void merge_errors(std::vector<field_error>& errors, const std::vector<field_error>& more);

// ---- connections (connections_handler.cpp) ----

/// GET /api/v1/connections
api_answer list_connections(const call& c);
/// POST /api/v1/connections
api_answer create_connection(const call& c);
/// GET /api/v1/connections/{id}
api_answer get_connection(const call& c, std::string_view id);
/// PUT (whole form) or PATCH (given fields) /api/v1/connections/{id}
api_answer update_connection(const call& c, std::string_view id, bool partial);
/// DELETE /api/v1/connections/{id}
api_answer delete_connection(const call& c, std::string_view id);
/// POST /api/v1/connections/{id}/key
api_answer regenerate_key(const call& c, std::string_view id);

// ---- health (health_handler.cpp) ----

/// GET /api/v1/connections/{id}/status
api_answer connection_status(const call& c, std::string_view id);
/// POST /api/v1/connections/{id}/test
api_answer test_connection(const call& c, std::string_view id);

// ---- devices (devices_handler.cpp, device_import.cpp) ----

/// GET /api/v1/devices/{devEUI}
api_answer get_device(const call& c, std::string_view dev_eui);
/// PUT /api/v1/devices/{devEUI}
api_answer put_device(const call& c, std::string_view dev_eui);
/// DELETE /api/v1/devices/{devEUI}
api_answer delete_device(const call& c, std::string_view dev_eui);
/// POST /api/v1/devices:import
api_answer import_devices(const call& c);

// ---- users (users_handler.cpp) ----

/// GET /api/v1/users
api_answer list_users(const call& c);
/// POST /api/v1/users
api_answer create_user(const call& c);
/// GET /api/v1/users/{id}
api_answer get_user(const call& c, std::string_view id);
/// DELETE /api/v1/users/{id}
api_answer delete_user(const call& c, std::string_view id);
/// GET /api/v1/me: the caller itself (every user)
api_answer get_me(const call& c);

// ---- domains (domains_handler.cpp) ----

/// GET /api/v1/domain-groups
api_answer list_domain_groups(const call& c);
/// POST /api/v1/domain-groups
api_answer create_domain_group(const call& c);
/// GET /api/v1/domain-groups/{name}
api_answer get_domain_group(const call& c, std::string_view name);
/// PATCH /api/v1/domain-groups/{name}
api_answer update_domain_group(const call& c, std::string_view name);
/// DELETE /api/v1/domain-groups/{name}
api_answer delete_domain_group(const call& c, std::string_view name);
/// GET /api/v1/domains
api_answer list_domains(const call& c);
/// POST /api/v1/domains
api_answer create_domain(const call& c);
/// GET /api/v1/domains/{group}/{name}: `name` keeps its `/` (raw, percent-encoded segments)
api_answer get_domain(const call& c, std::string_view group, std::string_view name);
/// PATCH /api/v1/domains/{group}/{name}
api_answer update_domain(const call& c, std::string_view group, std::string_view name);
/// DELETE /api/v1/domains/{group}/{name}
api_answer delete_domain(const call& c, std::string_view group, std::string_view name);

// ---- cluster (instances_handler.cpp) ----

/// GET /api/v1/instances: the live replicas (cluster mode), admins only
api_answer list_instances(const call& c);

// ---- the web console (web_console.cpp) ----

/// GET / (the console's index.html) and GET /console/{file}: the embedded console files; 404
/// for an unknown file.
api_answer web_console(std::string_view path);

}  // namespace tr::api::detail
