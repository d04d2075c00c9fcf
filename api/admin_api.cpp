#include "api/admin_api.hpp"

#include <optional>

#include "api/detail/handlers.hpp"
#include "api/detail/text_rules.hpp"

namespace tr::api {

namespace {

/// The known paths.
enum class endpoint {
  console,            ///< / and /console/{file}
  connections,        ///< /api/v1/connections
  connection,         ///< /api/v1/connections/{id}
  connection_key,     ///< /api/v1/connections/{id}/key
  connection_status,  ///< /api/v1/connections/{id}/status
  connection_test,    ///< /api/v1/connections/{id}/test
  device,             ///< /api/v1/devices/{devEUI}
  device_import,      ///< /api/v1/devices:import
  users,              ///< /api/v1/users
  user,               ///< /api/v1/users/{id}
  instances,          ///< /api/v1/instances
  me,                 ///< /api/v1/me
  domain_groups,      ///< /api/v1/domain-groups
  domain_group,       ///< /api/v1/domain-groups/{name}
  domains,            ///< /api/v1/domains
  domain,             ///< /api/v1/domains/{group}/{name, its `/` kept}
};

struct route {
  endpoint target;
  std::string_view id;  ///< the {id}, {devEUI}, {name} or {group} segment; the console's path
  std::string_view name = {};  ///< a domain's name (the rest of the path)
};

/// Splits `rest` at its first '/': the segment before it and whether one was found.
std::string_view next_segment(std::string_view& rest, bool& more) {
  auto slash = rest.find('/');
  more = slash != std::string_view::npos;
  auto segment = rest.substr(0, slash);
  rest = more ? rest.substr(slash + 1) : std::string_view{};
  return segment;
}

std::optional<route> match(std::string_view path) {
  constexpr std::string_view prefix = "/api/v1/";
  if (path == "/" || path.starts_with("/console/")) return route{endpoint::console, path};
  if (!path.starts_with(prefix)) return std::nullopt;
  auto rest = path.substr(prefix.size());
  bool more = false;
  auto collection = next_segment(rest, more);
  if (!more) {
    if (collection == "connections") return route{endpoint::connections, {}};
    if (collection == "users") return route{endpoint::users, {}};
    if (collection == "devices:import") return route{endpoint::device_import, {}};
    if (collection == "instances") return route{endpoint::instances, {}};
    if (collection == "me") return route{endpoint::me, {}};
    if (collection == "domain-groups") return route{endpoint::domain_groups, {}};
    if (collection == "domains") return route{endpoint::domains, {}};
    return std::nullopt;
  }
  auto id = next_segment(rest, more);
  if (id.empty()) return std::nullopt;
  if (collection == "domains") {
    if (!more || rest.empty() || rest.back() == '/' || rest.find("//") != std::string_view::npos)
      return std::nullopt;
    return route{endpoint::domain, id, rest};
  }
  if (!more) {
    if (collection == "connections") return route{endpoint::connection, id};
    if (collection == "devices") return route{endpoint::device, id};
    if (collection == "users") return route{endpoint::user, id};
    if (collection == "domain-groups") return route{endpoint::domain_group, id};
    return std::nullopt;
  }
  if (collection == "connections" && rest == "key") return route{endpoint::connection_key, id};
  if (collection == "connections" && rest == "status")
    return route{endpoint::connection_status, id};
  if (collection == "connections" && rest == "test") return route{endpoint::connection_test, id};
  return std::nullopt;
}

std::string_view allowed_methods(endpoint target) {
  switch (target) {
    case endpoint::console:
      return "GET";
    case endpoint::connections:
      return "GET, POST";
    case endpoint::connection:
      return "GET, PUT, PATCH, DELETE";
    case endpoint::connection_key:
    case endpoint::connection_test:
      return "POST";
    case endpoint::connection_status:
      return "GET";
    case endpoint::device:
      return "GET, PUT, DELETE";
    case endpoint::device_import:
      return "POST";
    case endpoint::users:
      return "GET, POST";
    case endpoint::user:
      return "GET, DELETE";
    case endpoint::instances:
    case endpoint::me:
      return "GET";
    case endpoint::domain_groups:
    case endpoint::domains:
      return "GET, POST";
    case endpoint::domain_group:
    case endpoint::domain:
      return "GET, PATCH, DELETE";
  }
  return "";
}

bool is_allowed(endpoint target, std::string_view method) {
  auto list = allowed_methods(target);
  for (bool more = true; more;) {
    auto comma = list.find(", ");
    more = comma != std::string_view::npos;
    if (list.substr(0, comma) == method) return true;
    if (more) list.remove_prefix(comma + 2);
  }
  return false;
}

api_answer unauthorized(std::string_view message, bool bad_token) {
  auto out = detail::error_answer(401, message);
  out.headers.emplace_back("WWW-Authenticate",
                           bad_token ? R"(Bearer realm="tunnel-router", error="invalid_token")"
                                     : R"(Bearer realm="tunnel-router")");
  return out;
}

/// The bearer token of an Authorization header value (scheme case-insensitive), or nullopt.
std::optional<std::string_view> bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer";
  if (header.size() <= scheme.size() || detail::to_lower(header.substr(0, scheme.size())) != scheme)
    return std::nullopt;
  auto rest = header.substr(scheme.size());
  if (rest.front() != ' ' && rest.front() != '\t') return std::nullopt;
  auto begin = rest.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return std::nullopt;
  auto end = rest.find_last_not_of(" \t");
  return rest.substr(begin, end - begin + 1);
}

api_answer dispatch(const detail::call& c, const route& to) {
  auto method = c.request.method;
  switch (to.target) {
    case endpoint::connections:
      return method == "GET" ? detail::list_connections(c) : detail::create_connection(c);
    case endpoint::connection:
      if (method == "GET") return detail::get_connection(c, to.id);
      if (method == "DELETE") return detail::delete_connection(c, to.id);
      return detail::update_connection(c, to.id, method == "PATCH");
    case endpoint::connection_key:
      return detail::regenerate_key(c, to.id);
    case endpoint::connection_status:
      return detail::connection_status(c, to.id);
    case endpoint::connection_test:
      return detail::test_connection(c, to.id);
    case endpoint::device:
      if (method == "GET") return detail::get_device(c, to.id);
      if (method == "PUT") return detail::put_device(c, to.id);
      return detail::delete_device(c, to.id);
    case endpoint::device_import:
      return detail::import_devices(c);
    case endpoint::users:
      return method == "GET" ? detail::list_users(c) : detail::create_user(c);
    case endpoint::user:
      return method == "GET" ? detail::get_user(c, to.id) : detail::delete_user(c, to.id);
    case endpoint::instances:
      return detail::list_instances(c);
    case endpoint::me:
      return detail::get_me(c);
    case endpoint::domain_groups:
      return method == "GET" ? detail::list_domain_groups(c) : detail::create_domain_group(c);
    case endpoint::domain_group:
      if (method == "GET") return detail::get_domain_group(c, to.id);
      if (method == "PATCH") return detail::update_domain_group(c, to.id);
      return detail::delete_domain_group(c, to.id);
    case endpoint::domains:
      return method == "GET" ? detail::list_domains(c) : detail::create_domain(c);
    case endpoint::domain:
      if (method == "GET") return detail::get_domain(c, to.id, to.name);
      if (method == "PATCH") return detail::update_domain(c, to.id, to.name);
      return detail::delete_domain(c, to.id, to.name);
    case endpoint::console:
      break;
  }
  return detail::web_console(to.id);
}

}  // namespace

admin_api::admin_api(store::database& db, options opts) : db_(db), options_(opts) {}

bool admin_api::authenticates(std::string_view authorization) {
  auto token = bearer_token(authorization);
  return token && db_.find_user_by_token(*token).has_value();
}

std::size_t admin_api::body_limit(std::string_view path) const {
  auto to = match(path);
  return to && to->target == endpoint::device_import ? options_.max_import_bytes
                                                     : options_.max_body_bytes;
}

api_answer admin_api::handle(const api_request& req) {
  auto to = match(req.path);
  if (!to) return detail::error_answer(404, "no such path: " + std::string{req.path});
  if (!is_allowed(to->target, req.method)) {
    auto out = detail::error_answer(405, std::string{req.method} + " is not allowed here (" +
                                             std::string{allowed_methods(to->target)} + ")");
    out.headers.emplace_back("Allow", allowed_methods(to->target));
    return out;
  }
  if (to->target == endpoint::console) return detail::web_console(to->id);

  if (req.authorization.empty()) return unauthorized("missing bearer token", false);
  auto token = bearer_token(req.authorization);
  if (!token) return unauthorized("the Authorization header must be 'Bearer <token>'", false);
  auto caller = db_.find_user_by_token(*token);
  if (!caller) {
    if (caller.error_value().code == store::error_code::not_found)
      return unauthorized("unknown bearer token", true);
    return detail::store_failure(caller.error_value());
  }

  auto limit =
      to->target == endpoint::device_import ? options_.max_import_bytes : options_.max_body_bytes;
  if (req.body.size() > limit)
    return detail::error_answer(
        413, "the body is larger than the limit of " + std::to_string(limit) + " bytes");

  return dispatch(detail::call{db_, *caller, req, options_}, *to);
}

}  // namespace tr::api
