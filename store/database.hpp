#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/change_feed.hpp"
#include "store/cluster.hpp"
#include "store/model.hpp"
#include "store/result.hpp"

namespace tr::store {

namespace detail {
class sql_port;
}  // namespace detail

/// How to open a store.
struct open_options {
  std::filesystem::path path;  ///< the SQLite file; missing parent folders are created
  /// The 256-bit data key as 64 hex digits. Empty: the environment variable
  /// TUNNEL_ROUTER_DATA_KEY, else (SQLite only) `data.key` next to the database (created 0600 at
  /// first start). PostgreSQL never reads nor writes a key file: the variable is required.
  std::string data_key_hex;
  /// A PostgreSQL URI (`postgresql://...`): the shared store of cluster mode. Empty: SQLite.
  std::string url;
  /// SQLite: hold `<path>.lock` (flock) while open, refusing a second process on the same file
  /// (the router's serve; tools and tests open without it).
  bool exclusive = false;
};

/// The persistent store: connections, device routes and users, with keys sealed under the data
/// key. Two implementations behave alike: SQLite (one node, `sqlite_database`) and PostgreSQL
/// (replicas sharing one database, `postgres_database`).
///
/// Every write is one transaction: no half-written connection. Keys are sealed with AES-256-GCM
/// under the data key and never written in clear.
///
/// Thread safety: every member may be called from any thread. Change events are published after
/// the commit, in commit order: SQLite on the writing thread; PostgreSQL on its listening
/// thread, this process's writes and those of other replicas alike (a write returns once its
/// events are published).
class database {
 public:
  /// Opens (creating and migrating) the SQLite store at `path`, data key from env or `data.key`.
  static result<std::unique_ptr<database>> open(const std::filesystem::path& path);

  /// Opens (creating and migrating) the store as `options` say: PostgreSQL when `url` is set.
  static result<std::unique_ptr<database>> open(const open_options& options);

  database(const database&) = delete;
  database& operator=(const database&) = delete;
  virtual ~database();

  // ---- connections ----

  /// Stores a new connection from `draft` (id and timestamps are set here; an empty key is
  /// generated, a given one must be 32 hex digits and is normalized to lower case).
  virtual result<connection> create_connection(connection draft) = 0;

  /// Stores many new connections in one transaction: all of them or none.
  virtual result<std::vector<connection>> create_connections(std::vector<connection> drafts) = 0;

  /// The connection with this id, key included; error_code::not_found if none.
  virtual result<connection> get_connection(std::string_view id) = 0;

  /// Every connection, sorted by id, keys included (what the router loads at start).
  virtual result<std::vector<connection>> list_connections() = 0;

  /// The connections whose AS_ID is `as_id` (downlinks are found by it), sorted by id.
  virtual result<std::vector<connection>> connections_with_as_id(std::string_view as_id) = 0;

  /// Replaces the operator-set fields of connection `changed.id`; keeps `created_at`, and the
  /// key when `changed.key` is empty. With `based_on` (the connection as read before the
  /// change was made from it), error_code::changed_meanwhile when the stored one differs from
  /// it: another writer (another replica) got there first, and the caller reads again. A
  /// changed AS_ID that another connection has is a conflict (as in create_connection).
  virtual result<connection> update_connection(connection changed,
                                               const connection* based_on = nullptr) = 0;

  /// Deletes a connection and removes it from every device route.
  virtual result<void> delete_connection(std::string_view id) = 0;

  /// Replaces the key with a new random one, effective at once; returns the new value.
  virtual result<connection> regenerate_key(std::string_view id) = 0;

  // ---- device routes ----

  /// Routes a device (16 hex digits, any case) to these connections, replacing its route.
  /// An empty list deletes the route. Unknown connection ids fail with unknown_connection.
  virtual result<device_route> put_device_route(std::string_view dev_eui,
                                                std::vector<std::string> connection_ids) = 0;

  /// The route of a device; not_found if it has none.
  virtual result<device_route> get_device_route(std::string_view dev_eui) = 0;

  /// Deletes the route of a device; not_found if it had none.
  virtual result<void> delete_device_route(std::string_view dev_eui) = 0;

  /// Replaces the routes of every listed device in one transaction (all or nothing); a later
  /// entry for the same device wins. Returns the number of entries written.
  virtual result<std::size_t> import_device_routes(std::vector<device_route> routes) = 0;

  /// Every device route, sorted by DevEUI.
  virtual result<std::vector<device_route>> list_device_routes() = 0;

  /// A batch of device routes handed to scan_device_routes' consumer.
  using route_batch_consumer = std::function<void(std::vector<device_route>)>;

  /// Every device route, handed to `consume` in batches of at most `batch` rows, in no
  /// particular order: a device routed to several connections may arrive as several entries, in
  /// different batches (the routing table at start, without holding every route twice). The
  /// consumer runs with the store busy: it may not call the store.
  virtual result<void> scan_device_routes(std::size_t batch, const route_batch_consumer& consume);

  // ---- users (one implementation over both backends: database_shared.cpp) ----

  /// Creates a user with a new random bearer token (64 hex digits); only its SHA-256 is kept.
  /// Its domains must exist (invalid_argument otherwise).
  result<created_user> create_user(std::string name, role access, std::vector<domain_ref> domains);

  /// The user holding this bearer token (hash compared in constant time); not_found if none.
  result<user> find_user_by_token(std::string_view token);

  /// Every user, sorted by id.
  result<std::vector<user>> list_users();

  /// Deletes a user; not_found if absent.
  result<void> delete_user(std::string_view id);

  /// Makes sure the bootstrap admin exists. With a configured token, the admin's token becomes
  /// that one and nullopt is returned. Without one, a token is generated at the first start only
  /// and returned (the caller prints it once); later starts return nullopt.
  virtual result<std::optional<std::string>> bootstrap_admin(std::string_view configured_token) = 0;

  // ---- domains (one implementation over both backends: database_shared.cpp) ----

  /// Every domain group, sorted by name.
  result<std::vector<domain_group>> list_domain_groups();

  /// Stores a new group (an empty colour becomes default_group_color); conflict if the name is
  /// taken.
  result<domain_group> create_domain_group(domain_group draft);

  /// Changes the description and colour (an empty colour keeps the stored one) of group
  /// `changed.name`; not_found if none.
  result<domain_group> update_domain_group(domain_group changed);

  /// Deletes an empty group; conflict while it holds domains, not_found if none.
  result<void> delete_domain_group(std::string_view name);

  /// Every domain, sorted by group and name (a parent before its children).
  result<std::vector<domain>> list_domains();

  /// Stores a new domain. invalid_argument: no such group (field `group`) or no parent (field
  /// `name`); conflict: the name is taken or the parent has its 5 children (field `name`).
  result<domain> create_domain(domain draft);

  /// Changes the description and `active` of domain (`changed.group`, `changed.name`).
  result<domain> update_domain(domain changed);

  /// Deletes a domain; conflict while it has children or a connection or user holds it (the
  /// message names them), not_found if none.
  result<void> delete_domain(const domain_ref& which);

  // ---- the rest ----

  /// Where committed changes are published.
  change_feed& changes() noexcept { return changes_; }

  /// The schema version of the open database (-1 if it cannot be read).
  virtual std::int64_t schema_version() = 0;

  /// The database file (SQLite); empty for PostgreSQL.
  const std::filesystem::path& path() const noexcept { return path_; }

  /// The cluster services of a shared store (PostgreSQL); nullptr for SQLite.
  virtual cluster_store* cluster() noexcept { return nullptr; }

 protected:
  explicit database(std::filesystem::path path) : path_(std::move(path)) {}

  /// Runs `body` in one transaction (a write transaction when `write`) over the SQL both
  /// backends share. Store failures become error values.
  virtual result<void> run_shared(bool write,
                                  const std::function<result<void>(detail::sql_port&)>& body) = 0;

  std::filesystem::path path_;
  change_feed changes_;

 private:
  /// run_shared for a body returning result<T> (database_shared.cpp).
  template <class T, class Body>
  result<T> shared(bool write, Body&& body);
};

}  // namespace tr::store
