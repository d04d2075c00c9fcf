#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "store/database.hpp"

namespace tr::store {

namespace detail {
class sealer;
class pg_connection;
class downlink_ledger;
}  // namespace detail

/// The store in a PostgreSQL database shared by every replica (cluster mode).
///
/// Every write bumps the cluster-wide generation in its transaction (the row lock orders writes
/// across replicas), records what it changed and sends `NOTIFY tunnel_router_changes`. A
/// listening thread on its own connection applies the changes of other replicas after the
/// generation it last saw, on each notification, every second, and after each reconnect; a
/// replica too far behind (its changes were pruned) reloads the whole snapshot. That thread
/// publishes every change on the feed, this process's own writes included (handed over after
/// their COMMIT), in generation order.
///
/// The requests of this process share one connection (one at a time). When PostgreSQL is
/// unreachable, calls fail within seconds with error_code::unavailable and the next call
/// reconnects (at most once a second).
class postgres_database final : public database, public cluster_store {
 public:
  /// Connects, migrates (advisory lock), checks the data key and starts listening.
  static result<std::unique_ptr<database>> open(const open_options& options);

  ~postgres_database() override;

  result<connection> create_connection(connection draft) override;
  result<std::vector<connection>> create_connections(std::vector<connection> drafts) override;
  result<connection> get_connection(std::string_view id) override;
  result<std::vector<connection>> list_connections() override;
  result<std::vector<connection>> connections_with_as_id(std::string_view as_id) override;
  result<connection> update_connection(connection changed,
                                       const connection* based_on = nullptr) override;
  result<void> delete_connection(std::string_view id) override;
  result<connection> regenerate_key(std::string_view id) override;

  result<device_route> put_device_route(std::string_view dev_eui,
                                        std::vector<std::string> connection_ids) override;
  result<device_route> get_device_route(std::string_view dev_eui) override;
  result<void> delete_device_route(std::string_view dev_eui) override;
  result<std::size_t> import_device_routes(std::vector<device_route> routes) override;
  result<std::vector<device_route>> list_device_routes() override;
  result<void> scan_device_routes(std::size_t batch, const route_batch_consumer& consume) override;

  result<std::optional<std::string>> bootstrap_admin(std::string_view configured_token) override;

  std::int64_t schema_version() override;

  cluster_store* cluster() noexcept override { return this; }

  void spend_downlink(downlink_check check, downlink_answer answer) override;
  void release_downlink(std::string connection_id, std::string token) override;
  void join(std::string host, std::string version) override;
  result<std::vector<instance_info>> live_instances() override;
  std::size_t live_count() const noexcept override { return live_.load(); }
  bool store_up() const noexcept override { return up_.load(); }
  result<void> publish_health(
      const std::vector<std::pair<std::string, std::string>>& summaries) override;
  result<std::vector<published_health>> health_of(std::string_view connection_id) override;

  /// The counts `copy_in` wrote.
  struct copied {
    std::size_t connections = 0, routes = 0, users = 0;
  };

  /// Writes another store's domain groups and domains (parents first, as list_domains gives
  /// them), connections (ids kept, keys sealed under this store's data key), device routes and
  /// users (token hashes kept) in one transaction. Refuses (invalid_argument) a store that
  /// already holds connections, routes or users, unless `replace`: then they and the domains
  /// are deleted first.
  result<copied> copy_in(const std::vector<domain_group>& groups,
                         const std::vector<domain>& domains,
                         const std::vector<connection>& connections,
                         const std::vector<device_route>& routes, const std::vector<user>& users,
                         bool replace);

  /// The generation of the last change this replica applied (its own writes included).
  std::int64_t applied_generation() const noexcept { return applied_.load(); }

  /// True while the listening connection is up.
  bool reachable() const noexcept { return up_.load(); }

  /// This replica's id in the change log and the instances table.
  const std::string& instance_id() const noexcept override { return instance_id_; }

 protected:
  result<void> run_shared(bool write,
                          const std::function<result<void>(detail::sql_port&)>& body) override;

 private:
  postgres_database(std::string url, std::unique_ptr<detail::sealer> keys);

  /// Runs `body` in one transaction that bumps the generation, then has its events published
  /// (publish_own).
  template <class T, class Body>
  result<T> write(Body&& body);

  /// Runs `body` in one read-only snapshot.
  template <class T, class Body>
  result<T> read(Body&& body);

  /// The session connection, reconnected if needed; throws postgres_failure.
  detail::pg_connection& session();

  void listen_loop();
  /// Applies the changes after applied_ on `db` (everything again when this replica is further
  /// behind than the kept change log).
  void catch_up(detail::pg_connection& db);
  /// catch_up, or reload_all when a write's outcome was unknown (reload_needed_).
  void resync(detail::pg_connection& db);
  void reload_all(detail::pg_connection& db, std::int64_t generation);
  void publish_ordered(const std::vector<change_event>& events);
  /// Writes this replica's heartbeat and counts the live ones (listener connection).
  void heartbeat(detail::pg_connection& db);

  std::string url_;
  std::unique_ptr<detail::sealer> keys_;
  std::string instance_id_;

  std::mutex session_mutex_;
  std::unique_ptr<detail::pg_connection> session_;
  std::chrono::steady_clock::time_point last_failure_{};

  std::mutex publish_mutex_;
  std::atomic<std::thread::id> publishing_thread_{};

  /// Every change is published here by the listener, in generation order, this replica's own
  /// writes included: a write hands its events over after its COMMIT and waits until the
  /// listener, reaching its generation among the change rows, has published them. Published by
  /// two threads, a write's value and another replica's newer one could arrive in either order,
  /// and the older could stay (a PATCH here racing a key regeneration there kept the old key).
  std::mutex own_mutex_;
  std::condition_variable own_changed_;
  std::set<std::int64_t> uncommitted_own_;  ///< under own_mutex_: generations taken, not handed
  /// Under own_mutex_: the events of writes committed and handed over, until the listener has
  /// published them.
  std::map<std::int64_t, std::vector<change_event>> committed_own_;
  /// How long the listener waits for a write between its COMMIT and its hand-over, and a write
  /// between two looks at whether the listener still runs: while it is up (a reload, another
  /// replica's import may keep it busy for seconds) the write waits for it, up to
  /// own_wait_longest; with the listener down (or stopping) it publishes its events itself and,
  /// unless stopping, has everything reloaded once the listener is back.
  static constexpr std::chrono::milliseconds own_wait{3000};
  static constexpr std::chrono::milliseconds own_wait_longest{60'000};
  void remember_own(std::int64_t g);
  void forget_own(std::int64_t g);
  /// After the COMMIT of own generation `g`: hands `events` to the listener and waits until it
  /// has published them (or publishes them itself: see own_wait).
  void publish_own(std::int64_t g, std::vector<change_event> events);
  /// The listener, at a change row of own generation `g`: its events, once its write handed them
  /// over; none (and a reload is asked for) if the write did not within own_wait.
  std::optional<std::vector<change_event>> take_own(std::int64_t g);
  /// The listener, after publishing: lets the writes of `generations` return.
  void release_own(const std::vector<std::int64_t>& generations);

  std::unique_ptr<detail::downlink_ledger> ledger_;  ///< downlink checks, off the callers' threads

  std::mutex health_mutex_;
  std::unique_ptr<detail::pg_connection> health_;  ///< health publishing, every few seconds

  std::mutex member_mutex_;
  std::string host_, version_;  ///< set by join(); empty: not registered
  std::chrono::steady_clock::time_point last_heartbeat_{};
  std::atomic<std::size_t> live_{1};

  std::atomic<std::int64_t> applied_{0};
  std::atomic<bool> up_{true};
  /// A write lost its connection with its outcome unknown: the listener reloads everything.
  std::atomic<bool> reload_needed_{false};
  /// How long the listener waits for an answer (its statements are small; it runs one at least
  /// every second, so a server that stops answering is found within about 4 s and up_ turns
  /// false), and the other sessions (also given up at once when up_ turns false).
  static constexpr std::chrono::milliseconds listener_answer{3000};
  static constexpr std::chrono::milliseconds session_answer{60'000};
  std::atomic<bool> stopping_{false};
  std::unordered_set<std::string> known_ids_;  ///< connections as the listener last saw them
  std::thread listener_;
};

}  // namespace tr::store
