#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/validation.hpp"
#include "store/model.hpp"

namespace tr::api {

// Roles, domains and restrictions (ThingPark's administrative domains; docs/protocol.md,
// domains), as pure functions over a user, a connection and the defined domains.
//
// - Domains live in groups and make a hierarchy through `/`: `Region:EMEA/France` lies below
//   `Region:EMEA`. A domain *covers* itself and every domain below it in the same group
//   (`EMEA/France` covers `EMEA/France/Paris`, not `EMEA`, nor `EMEA/Franceville`).
// - Roles: `admin` does everything (users, domains, every connection) and never has
//   restrictions; `connections-manager` reads and writes connections and device routes;
//   `viewer` reads and writes nothing.
// - A user with restrictions (a list of domains) sees in full the connections with a domain its
//   own cover, sees cross-domain connections (no domains) read-only with url, headers and
//   additionalInfo withheld, and nothing else (404). A user without restrictions sees every
//   connection in full.
// - Assigning domains to a connection (create, replace, patch): every reference names an
//   existing domain, at most one per group (two the connection already had together may stay);
//   a domain newly given must be active (one the connection already had may stay while
//   inactive). A reference to a defined domain is not judged by the rules for new domain names. A
//   restricted manager gives at least one domain and only domains its own cover — whole, existing
//   ones, never a prefix such as `EMEA` or `EMEA/Fra` — and keeps the domains it does not cover
//   that the connection already had (it may neither add nor remove those).
// - Keys are never part of a view; a new key is returned only by create and regenerate.
//
// Worked example: groups `Region` and `Customer`; domains `Region:EMEA`, `Region:EMEA/France`,
// `Region:EMEA/France/Paris`, `Region:EMEA/Germany`, `Customer:Acme`. A manager restricted to
// `Region:EMEA/France` sees connections in `Region:EMEA/France` or `Region:EMEA/France/Paris`
// (also when they carry `Customer:Acme` besides), sees cross-domain ones read-only, and does not
// see those in `Region:EMEA`, `Region:EMEA/Germany` or `Customer:Acme` alone. It may create a
// connection in `Region:EMEA/France/Paris`, not one in `Region:EMEA` (above its own), in
// `Region:EMEA/Fra` (no such domain), with `Customer:Acme` (not below its own) nor one without
// domains; when it edits a connection an admin put in `Region:EMEA/France` + `Customer:Acme`,
// `Customer:Acme` stays.

/// How much of a connection a user may see.
enum class visibility {
  hidden,     ///< not at all: answer 404
  read_only,  ///< cross-domain connection seen by a restricted user: secrets withheld
  full,       ///< every field except the key
};

/// True for the admin role.
bool is_admin(const store::user& user) noexcept;

/// True when the user is restricted to its domains (never an admin).
bool is_restricted(const store::user& user) noexcept;

/// True when `mine` covers `other`: the same group, and the same name or a name below it.
bool covers(const store::domain_ref& mine, const store::domain_ref& other) noexcept;

/// True when one of the user's domains covers `other` (always for a user without restrictions).
bool covers(const store::user& user, const store::domain_ref& other) noexcept;

/// How much of `connection` the user may see.
visibility visibility_of(const store::user& user, const store::connection& connection);

/// True when the user's role writes connections and device routes at all.
bool may_write(const store::user& user) noexcept;

/// True when the user may change, delete, test or regenerate the key of the connection.
bool may_modify(const store::user& user, const store::connection& connection);

/// Why the user may not change a connection it sees (for a 403).
std::string modify_refusal(const store::user& user, const store::connection& connection);

/// Drops the form errors (`domains[i].name`, `domains[i].group`: too long, blanks…) of the
/// references that name a defined domain: one exists, so it may be named (a store from before
/// groups defined domains the rules for new ones would refuse).
/// For a restricted caller, only references it covers or the connection already had
/// (`previous`) are forgiven.
void forgive_defined(std::vector<field_error>& errors, const std::vector<store::domain_ref>& refs,
                     const std::vector<store::domain>& defined, const store::user& caller,
                     const std::vector<store::domain_ref>& previous);

/// True when the user may create, list and delete users, and define domains.
bool may_manage_users(const store::user& user) noexcept;

/// A URL with the password of its userinfo (the whole userinfo when it has no password) and the
/// values of query parameters with a credential-like name (is_credential_name, decoded) masked:
/// `https://user:•••@host/?apikey=•••`.
std::string masked_url(std::string_view url);

/// True for a header or query parameter name that reads like a credential, whatever its case:
/// it holds key, token, secret, pass, pwd, auth, sig, cookie, session or credential
/// (Authorization, Proxy-Authorization, X-API-Key, Ocp-Apim-Subscription-Key, apikey…).
bool is_credential_name(std::string_view name);

/// The connection as the user may see it: key cleared always; url, headers and
/// additional_info cleared for a read-only view; for a viewer, the URL's password and the
/// values of credential headers masked (`•••`); nullopt when hidden.
std::optional<store::connection> view_of(const store::user& user,
                                         const store::connection& connection);

/// Checks the domains a user gives a connection against the rules above. `previous` is the
/// connection's current list (empty for a new one), `defined` every domain. Errors use the form
/// paths (`domains`, `domains[2]`, `domains[2].name`); empty when allowed.
std::vector<field_error> check_domain_assignment(const store::user& user,
                                                 const std::vector<store::domain_ref>& requested,
                                                 const std::vector<store::domain_ref>& previous,
                                                 const std::vector<store::domain>& defined);

}  // namespace tr::api
