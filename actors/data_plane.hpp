#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/connection_config.hpp"
#include "actors/connection_owner.hpp"
#include "actors/downlink_verifier.hpp"
#include "actors/ingress.hpp"
#include "actors/metrics.hpp"
#include "actors/placement.hpp"
#include "actors/routing_table.hpp"
#include "store/change_feed.hpp"
#include "store/model.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::actors {

/// What one shard holds of the data plane, touched only by that shard's thread: its replica of
/// the routing table, the owner of every connection by routing slot (owners live on their own
/// home shards; a report for an owner elsewhere is posted there), and its ingress.
struct shard_state {
  routing_table routes;
  std::vector<std::shared_ptr<connection_owner>> owners;  ///< by routing slot
  std::unique_ptr<ingress> reports;
  /// Reports this shard's ingress handed to a connection (written by the shard, read by the
  /// supervisor for gathering).
  std::atomic<std::uint64_t> dispatched{0};
};

/// The data plane of the router: connection owners placed on shards, routing replicas, and the
/// application of configuration changes to them.
///
/// Placement: a new connection's owner goes to the shard with the least busy time over the
/// last second, ties to the one with the fewest owners; rebalance() then moves owners to spread
/// a heavy load or to gather light traffic where its reports arrive. Every change is posted, in the
/// same order, to every shard's replica (routes, owner directory) and to the owner's home shard
/// (reconfigure, retire), so a change reaches the data path within one loop turn.
///
/// `apply` and `load` are for the control plane's one thread (the supervisor actor); `local`
/// and the ingress run on shard threads.
class data_plane {
 public:
  data_plane(transport::runtime& runtime, metrics_registry& metrics, uplink_environment environment,
             connection_defaults defaults, downlink_verifier& downlinks);
  ~data_plane();

  /// The calling shard's state (shard threads only).
  shard_state& local();
  shard_state& state_of(std::size_t shard) { return *shards_[shard]; }

  /// Loads the whole configuration at start (control thread): load_connections, load_routes,
  /// finish_load.
  void load(const std::vector<store::connection>& connections,
            const std::vector<store::device_route>& routes);
  /// At start: runs these connections (control thread).
  void load_connections(const std::vector<store::connection>& connections);
  /// At start, after load_connections: adds one batch of routes to every shard's table; a
  /// device may come in several entries and batches, its connections add up (control thread).
  void load_routes(std::vector<store::device_route> batch);
  /// At start: loaded() turns true once every shard has applied what was loaded before.
  void finish_load();
  /// True once the load is in every shard: the data plane knows every stored connection and
  /// route.
  bool loaded() const { return loaded_.load(std::memory_order_acquire); }
  /// Waits until loaded(), the load failed, or `limit` has passed; loaded().
  bool wait_loaded(std::chrono::milliseconds limit) const;
  /// At start: the load failed (`why` names the store's reason); wait_loaded() gives up at once.
  void fail_load(std::string why);
  /// Why the load failed; empty if it did not.
  std::string load_failure() const;
  /// Applies one committed change (control thread).
  void apply(const store::change_event& event);
  /// Retires every owner (control thread).
  void retire_all();
  /// True when no owner living on `on` has a request in flight (on that shard's thread).
  bool idle(transport::shard& on);

  /// Moves connection `id` to shard `to`: a new owner there takes the reports from now on,
  /// the old one finishes what it has in flight and closes its sessions (control thread).
  void move(const std::string& id, std::size_t to);
  /// Replaces a crashed owner with a fresh one on the same shard (control thread).
  void restart(const std::string& id);
  /// Where owners' crash reports go (any thread); the supervisor forwards them to itself.
  void on_restart_request(std::function<void(const std::string&)> forward) {
    restart_request_ = std::move(forward);
  }

  /// Makes the fuse of a connection (control thread): the supervisor spawns a fuse actor
  /// (fuse_actor.hpp). Without one, each connection's fuse learns on its owner's shard.
  using fuse_factory = std::function<std::shared_ptr<fuse_link>(
      const std::string& id, const fuse::params& params, std::uint64_t seed)>;
  void on_fuse_spawn(fuse_factory make) { make_fuse_ = std::move(make); }
  /// The fuse link of connection `id`, null when it does not run (control thread).
  std::shared_ptr<fuse_link> fuse_of(const std::string& id) const;

  /// Cluster mode: `live` replicas share every connection's fuse.max_concurrency, so that an
  /// AS sees at most the configured total however many run. Each owner's ceiling becomes
  /// total / live (rounded down, at least fuse.min_concurrency); called every second with the
  /// membership's count, it reconfigures the owners only when the share changes (control
  /// thread).
  void set_replicas(std::size_t live);
  /// This replica's share of fuse.max_concurrency (the whole of it on a single node).
  std::uint32_t max_concurrency_share() const { return defaults_.max_concurrency; }

  /// One rebalancing sample (the supervisor calls it every second): may move one connection
  /// to spread the load, or gather connections on the shard the reports arrive on, per
  /// rebalance_policy. Returns the moves made.
  std::vector<rebalance_policy::move> rebalance();

  /// Where connection `id` runs (-1 if it does not), for tests and metrics.
  int shard_of(const std::string& id) const;
  /// Why a connection does not run (its configuration was refused); empty when it runs.
  std::string problem_of(const std::string& id) const;
  /// Runs `fn` with the owner of connection `id` on its home shard (any thread). False when the
  /// connection does not run here.
  bool with_owner(std::string_view id, std::function<void(connection_owner&)> fn);

  /// The figures of every connection.
  metrics_registry& metrics() { return metrics_; }

  /// Number of owners per shard (control thread).
  std::vector<std::size_t> owners_per_shard() const;

 private:
  struct entry {
    std::shared_ptr<const connection_config> config;
    std::shared_ptr<connection_owner> owner;
    std::size_t shard = 0;
    std::string problem;
    std::shared_ptr<connection_metrics> figures;  ///< for the per-second uplink rate
    std::uint64_t last_total = 0;
    std::shared_ptr<fuse_link> fuse;  ///< kept across owner moves and restarts
  };

  /// A new owner to publish to every shard's directory (one id and its owner).
  using placed_owner = std::pair<std::string, std::shared_ptr<connection_owner>>;
  void upsert(const store::connection& connection);
  /// Updates a known connection, or makes the owner of a new one and returns it (not yet in
  /// the shards' directories: publish_owners does that, for one or many).
  std::optional<placed_owner> upsert_unpublished(const store::connection& connection);
  void publish_owners(std::shared_ptr<const std::vector<placed_owner>> owners);
  /// Puts a fresh owner for `e` on shard `to` in every directory; the old one retires.
  void replace_owner(const std::string& id, entry& e, std::size_t to, bool graceful);
  void remove(const std::string& id);
  void set_routes(const store::device_route& route);
  /// Sets these routes; with `complete`, they replace the whole table.
  void set_many_routes(std::shared_ptr<const std::vector<store::device_route>> routes,
                       bool complete = false);
  void remove_device(const std::string& dev_eui);
  std::size_t choose_shard() const;
  /// Posts `fn(state)` to every shard.
  template <class F>
  void each_shard(F fn);
  void dispatch(std::size_t from, routing_table::slot slot, const shared_report& report);

  transport::runtime& runtime_;
  metrics_registry& metrics_;
  uplink_environment environment_;
  connection_defaults defaults_;
  downlink_verifier& downlinks_;
  std::vector<std::unique_ptr<shard_state>> shards_;
  std::map<std::string, entry, std::less<>> entries_;
  std::vector<std::size_t> owner_counts_;       ///< owners per shard
  std::vector<std::uint64_t> last_dispatched_;  ///< shard_state::dispatched at the last sample
  std::atomic<bool> loaded_{false};
  mutable std::mutex loaded_mutex_;  ///< with loaded_changed_, for wait_loaded
  std::string load_failure_;         ///< under loaded_mutex_
  mutable std::condition_variable loaded_changed_;
  rebalance_policy policy_;
  std::function<void(const std::string&)> restart_request_;
  fuse_factory make_fuse_;
  /// The current owner of each connection, for callers off the control thread (with_owner).
  mutable std::mutex directory_mutex_;
  std::map<std::string, std::shared_ptr<connection_owner>, std::less<>> directory_;
};

}  // namespace tr::actors
