#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/live_connections.hpp"
#include "store/database.hpp"

namespace tr::api {

// The admin REST API (its statuses and rules below) as a transport-free handler: the HTTP server
// parses a request, calls admin_api::handle() on a worker thread and writes the answer back.
// `/metrics`, `/healthz` and `/readyz` are not routed here: the caller answers them first.
//
// Routes (JSON bodies, `Authorization: Bearer <token>` except for the console):
//   GET    /                                  the web console (text/html, no token needed)
//   GET    /console/{file}                    its scripts and styles (no token needed)
//   GET    /api/v1/connections                `{"connections": [...]}`, what the caller may see
//   POST   /api/v1/connections                201, the connection and its `key`
//   GET    /api/v1/connections/{id}           the connection (never its key)
//   PUT    /api/v1/connections/{id}           replaces the whole form; `key` optional (absent:
//                                             kept)
//   PATCH  /api/v1/connections/{id}           lays the given fields over the stored ones
//   DELETE /api/v1/connections/{id}           204; the connection also leaves every device route
//   POST   /api/v1/connections/{id}/key       200 `{"key": "..."}`: a new key, effective at once
//   GET    /api/v1/connections/{id}/status    the connection's health (whoever sees the
//                                             connection; a read-only view omits failure bodies)
//   POST   /api/v1/connections/{id}/test      sends one signed test uplink, answers what
//                                             happened (whoever may change the connection);
//                                             answered later (api_answer::later)
//   PATCH  {"paused": true|false}             pauses / resumes a connection (a form field)
//   GET    /api/v1/devices/{devEUI}           200 `{"devEUI", "connections"}`
//   PUT    /api/v1/devices/{devEUI}           body `{"connections": [ids]}`; `[]` removes the route
//   DELETE /api/v1/devices/{devEUI}           204
//   POST   /api/v1/devices:import             NDJSON; 200 `{"imported": n, "rejected": [...],
//                                             "rejectedCount": n}` (the first 100 listed)
//   GET    /api/v1/users                      admin only: `{"users": [...]}` (never tokens)
//   POST   /api/v1/users                      admin only: body `{"name","role","domains"}` (role
//                                             default `connections-manager`); 201
//                                             `{"id","name","role","domains","createdAt","token"}`
//   GET    /api/v1/users/{id}                 admin only: the user, as in the list
//   DELETE /api/v1/users/{id}                 admin only, 204; an admin cannot delete itself (409)
//   GET    /api/v1/instances                  admin only: `{"cluster", "instances": [...]}`, the
//                                             live replicas; a single node lists itself
//   GET    /api/v1/me                         the caller as a user object (every user)
//   GET    /api/v1/domain-groups              `{"groups": [{"name","description","color",
//                                             "createdAt"}]}`, those within the caller's reach
//   POST   /api/v1/domain-groups              admin only: 201, the group
//   GET|PATCH|DELETE /api/v1/domain-groups/{name}
//                                             PATCH: description, color (admin only)
//   GET    /api/v1/domains                    `{"domains": [{"group","name","description",
//                                             "active","createdAt"}]}`, within the caller's reach
//   POST   /api/v1/domains                    admin only: 201, the domain
//   GET|PATCH|DELETE /api/v1/domains/{group}/{name}
//                                             the name's `/` kept as path segments, each
//                                             percent-decoded; PATCH: active, description
//
// Statuses: 400 validation (`{"errors": [{"field", "message"}]}`, every failing field, nothing
// stored; also malformed JSON and wrong types), 401 missing or unknown token (with a
// `WWW-Authenticate: Bearer` header), 403 seen but not allowed (read-only connection, users
// without admin rights), 404 unknown path or a resource absent or hidden from the caller,
// 405 wrong method on a known path (with `Allow`), 413 body over the limit, 409 a conflict
// (deleting oneself, a connection deleted while an import ran, an asId another connection
// already has, a domain name taken or a domain in use), 500 a store failure (or a handler that
// threw: logged, counted), 503 `{"error": "store unavailable"}` while the store cannot be reached.
//
// AS_ID is unique among connections: a downlink names only its AS_ID, so it must lead to one
// connection (one key, one rate bucket, one set of routes). Creating a connection, or changing
// its asId (PUT, PATCH), with an asId another connection has is refused with 409 naming that
// connection (or "another connection" when the caller cannot see it).
// Every error body is `{"error": "..."}` or `{"errors": [...]}`.
//
// Domains and roles (the rules and a worked example: api/domains.hpp; forms: api/domain_forms.hpp):
// roles `admin`, `connections-manager`, `viewer`; a domain is `{"group", "name"}` everywhere. A
// restricted user sees in full the connections with a domain at or below one of its own (same
// group) — a manager may change them; it sees cross-domain connections read-only with url,
// headers and additionalInfo left out; others do not exist for it (404). A viewer's writes are
// 403, and it reads the URL's password (or bare user name), and the values of query parameters and
// headers with credential-like names, masked (`•••`). Example: with groups `Region` and `Customer`,
// a manager restricted to `Region:EMEA/France` sees and edits connections in
// `Region:EMEA/France/Paris` (even with `Customer:Acme` besides), gets 404 for one in `Region:EMEA`
// alone, and may create connections only in `Region:EMEA/France` or below. Domain refusals are
// field errors: unknown, inactive or outside-restriction domains at `domains[i].name`
// (outside-restriction first: defined or not, the same answer), two of one group at
// `domains[i].group`, none of its own or over 256 at `domains`. Defining domains is for admins (403
// otherwise); a taken name, a full parent (5 children) or a domain in use answer 409 in the
// field-error form.
//
// Device routes, for a restricted user:
// - it routes a device only to connections it may change: an unknown or hidden id is a 400
//   (`connections[i]`: no connection), a read-only (cross-domain) one a 403;
// - it reads a route only when every connection of it is visible to it (404 otherwise), and
//   replaces or deletes an existing route only when it may change every connection of it (403).
// Import: every line is checked as a PUT would be; the valid lines are written in one
// transaction, the bad ones are listed (`line` counts from 1, blank lines are skipped).

/// One admin API request, as the HTTP server parsed it.
struct api_request {
  std::string_view method;         ///< `GET`, `POST`, ... (case-sensitive)
  std::string_view path;           ///< without the query, e.g. `/api/v1/connections`
  std::string_view query;          ///< without `?`; currently unused
  std::string_view authorization;  ///< the Authorization header value, "" if none
  std::string_view body;
};

/// The answer to write back.
struct api_answer {
  int status = 200;
  std::string content_type = "application/json";  ///< empty for 204
  std::string body;
  /// Extra response headers (`WWW-Authenticate` on 401, `Allow` on 405, `Cache-Control`, ...).
  std::vector<std::pair<std::string, std::string>> headers;
  /// Set when the answer comes later (a test uplink waiting for its AS): the caller passes it
  /// where to deliver the answer, which is called once, from another thread; status and body
  /// above are then unused. The worker that ran handle() is free meanwhile.
  std::function<void(std::function<void(api_answer)>)> later;
};

/// The admin API over a store.
class admin_api {
 public:
  /// Switches and limits.
  struct options {
    bool allow_http = false;                  ///< as.allow_http: accept `http://` connection URLs
    std::size_t max_body_bytes = 1 << 20;     ///< every body except an import
    std::size_t max_import_bytes = 64 << 20;  ///< the NDJSON body of `devices:import`
    /// The running data plane, for the status and test endpoints (nullptr: they answer 503).
    live_connections* live = nullptr;
    /// Address literals in connection URLs the router refuses (see validation_options).
    std::function<std::optional<std::string>(std::string_view host, std::uint16_t port)>
        check_destination;
  };

  /// Serves `db`, which must outlive this object.
  admin_api(store::database& db, options opts);

  /// Handles one request; blocking (SQLite): the caller runs it off the I/O threads. Thread-safe.
  api_answer handle(const api_request& req);

  /// True when an Authorization header value holds the bearer token of a user; blocking.
  bool authenticates(std::string_view authorization);

  /// The body limit of a request to `path` from an authenticated caller.
  std::size_t body_limit(std::string_view path) const;

 private:
  store::database& db_;
  options options_;
};

}  // namespace tr::api
