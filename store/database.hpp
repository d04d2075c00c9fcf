#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/change_feed.hpp"
#include "store/model.hpp"
#include "store/result.hpp"

namespace tr::store {

namespace detail {
class sealer;
class sqlite_db;
}  // namespace detail

/// How to open a store.
struct open_options {
  std::filesystem::path path;  ///< the SQLite file; missing parent folders are created
  /// The 256-bit data key as 64 hex digits. Empty: the environment variable
  /// TUNNEL_ROUTER_DATA_KEY, else `data.key` next to the database (created 0600 at first start).
  std::string data_key_hex;
};

/// The persistent store: connections, device routes and users in one SQLite file.
///
/// Durability: WAL with `synchronous=FULL`, so a write acknowledged (the call returned success)
/// survives a process kill and a power loss; `NORMAL` would survive the kill but could lose the
/// last commits on power loss. Every write is one transaction: no half-written connection.
/// Keys are sealed with AES-256-GCM under the data key and never written in clear.
///
/// Thread safety: every member may be called from any thread. Writes are serialized on one
/// SQLite connection; reads use a second connection and run alongside writes (WAL snapshots).
/// Change events are published after the commit, on the writing thread, in commit order.
class database {
 public:
  /// Opens (creating and migrating) the store at `path`, data key from env or `data.key`.
  static result<std::unique_ptr<database>> open(const std::filesystem::path& path);

  /// Opens (creating and migrating) the store as `options` say.
  static result<std::unique_ptr<database>> open(const open_options& options);

  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  // ---- connections ----

  /// Stores a new connection from `draft` (id and timestamps are set here; an empty key is
  /// generated, a given one must be 32 hex digits and is normalized to lower case).
  result<connection> create_connection(connection draft);

  /// Stores many new connections in one transaction: all of them or none.
  result<std::vector<connection>> create_connections(std::vector<connection> drafts);

  /// The connection with this id, key included; error_code::not_found if none.
  result<connection> get_connection(std::string_view id);

  /// Every connection, sorted by id, keys included (what the router loads at start).
  result<std::vector<connection>> list_connections();

  /// Replaces the operator-set fields of connection `changed.id`; keeps `created_at`, and the
  /// key when `changed.key` is empty.
  result<connection> update_connection(connection changed);

  /// Deletes a connection and removes it from every device route.
  result<void> delete_connection(std::string_view id);

  /// Replaces the key with a new random one, effective at once; returns the new value.
  result<connection> regenerate_key(std::string_view id);

  // ---- device routes ----

  /// Routes a device (16 hex digits, any case) to these connections, replacing its route.
  /// An empty list deletes the route. Unknown connection ids fail with unknown_connection.
  result<device_route> put_device_route(std::string_view dev_eui,
                                        std::vector<std::string> connection_ids);

  /// The route of a device; not_found if it has none.
  result<device_route> get_device_route(std::string_view dev_eui);

  /// Deletes the route of a device; not_found if it had none.
  result<void> delete_device_route(std::string_view dev_eui);

  /// Replaces the routes of every listed device in one transaction (all or nothing); a later
  /// entry for the same device wins. Returns the number of entries written.
  result<std::size_t> import_device_routes(std::vector<device_route> routes);

  /// Every device route, sorted by DevEUI (the routing table at start).
  result<std::vector<device_route>> list_device_routes();

  // ---- users ----

  /// Creates a user with a new random bearer token (64 hex digits); only its SHA-256 is kept.
  result<created_user> create_user(std::string name, std::vector<std::string> domains,
                                   bool is_admin);

  /// The user holding this bearer token (hash compared in constant time); not_found if none.
  result<user> find_user_by_token(std::string_view token);

  /// Every user, sorted by id.
  result<std::vector<user>> list_users();

  /// Deletes a user; not_found if absent.
  result<void> delete_user(std::string_view id);

  /// Makes sure the bootstrap admin exists. With a configured token, the admin's token becomes
  /// that one and nullopt is returned. Without one, a token is generated at the first start only
  /// and returned (the caller prints it once); later starts return nullopt.
  result<std::optional<std::string>> bootstrap_admin(std::string_view configured_token);

  // ---- the rest ----

  /// Where committed changes are published.
  change_feed& changes() noexcept { return changes_; }

  /// The schema version of the open database (-1 if it cannot be read).
  std::int64_t schema_version();

  /// The database file.
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  database(std::filesystem::path path, std::unique_ptr<detail::sealer> keys);

  /// Runs `body` in one write transaction, then publishes the events it collected.
  template <class T, class Body>
  result<T> write(Body&& body);

  /// Runs `body` in one read snapshot on the reading connection.
  template <class T, class Body>
  result<T> read(Body&& body);

  std::filesystem::path path_;
  std::unique_ptr<detail::sealer> keys_;
  std::unique_ptr<detail::sqlite_db> writer_;
  std::unique_ptr<detail::sqlite_db> reader_;
  std::mutex write_mutex_;
  std::mutex read_mutex_;
  std::atomic<std::thread::id> publishing_thread_{};
  change_feed changes_;
};

}  // namespace tr::store
