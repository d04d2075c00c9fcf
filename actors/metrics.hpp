#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "actors/connection_health.hpp"
#include "actors/uplink_outcome.hpp"
#include "transport/runtime/shard.hpp"

namespace tr::actors {

/// The verdict on one downlink (`tunnel_router_downlinks_total{outcome}`), one per check.
enum class downlink_outcome : std::uint8_t {
  accepted,           ///< verified and delivered to the NS (2xx)
  malformed,          ///< a missing or malformed parameter
  unknown_as_id,      ///< no connection has this AS_ID
  bad_token,          ///< the token does not verify with the connection's key
  stale_time,         ///< Time outside the connection's max time deviation
  replay,             ///< a token already accepted within the window
  not_routed,         ///< the device is not routed to that AS
  rate_limited,       ///< over the connection's downlink rate
  ns_failed,          ///< the NS answered non-2xx or could not be reached
  ns_unconfigured,    ///< no `ns.downlink_url` configured
  store_unavailable,  ///< cluster mode: the shared store could not check it (503)
  replay_cache_full,  ///< single node: no room to remember the token (503, not spent)
};
inline constexpr std::size_t downlink_outcome_count = 12;

/// What the ingress did with one report (`tunnel_router_reports_total{outcome}`).
enum class report_outcome : std::uint8_t { routed, unrouted, malformed, too_large };
inline constexpr std::size_t report_outcome_count = 4;

std::string_view name_of(downlink_outcome o);
std::string_view name_of(report_outcome o);

/// A cumulative latency histogram with fixed bounds; observe() is lock-free.
class latency_histogram {
 public:
  /// Upper bounds of the buckets, in seconds (the last bucket is +Inf).
  static constexpr std::array<double, 14> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  void observe(std::chrono::microseconds latency);
  /// Appends the Prometheus lines of this histogram for `name{labels}`.
  void render(std::string& out, std::string_view name, std::string_view labels) const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_us_{0};
  std::atomic<std::uint64_t> count_{0};
};

/// The live figures of one connection. Written by the shard that runs the connection
/// (relaxed atomics, single writer in practice), read by the metrics endpoint.
struct connection_metrics {
  std::array<std::atomic<std::uint64_t>, uplink_outcome_count> uplinks{};
  std::atomic<std::uint8_t> fuse_state{0};
  std::atomic<std::int32_t> in_flight{0};
  std::atomic<std::int32_t> shard{-1};
  std::atomic<std::uint64_t> restarts{0};       ///< owners replaced after a crash
  std::atomic<std::uint64_t> fuse_restarts{0};  ///< fuse actors restarted after a failure
  std::atomic<std::uint32_t> limit{0};          ///< the fuse's concurrency limit
  /// Why the fuse's state last changed: a string literal (static, so any thread may read it).
  std::atomic<const char*> fuse_reason{"start"};
  std::atomic<bool> paused{false};  ///< the connection is paused by the operator
  /// Fuse transitions by the state entered: closed, throttling, open, paused.
  std::array<std::atomic<std::uint64_t>, 4> transitions{};
  /// Losses of devices the loss table had no room for (LostUplinksAS undercounts for them).
  std::atomic<std::uint64_t> losses_untracked{0};
  /// Uplinks sent once more after the AS said it had not processed them (GOAWAY, REFUSED_STREAM).
  std::atomic<std::uint64_t> resent{0};
  latency_histogram latency;
  connection_health health;  ///< rates, latency and failures for the status endpoint

  /// Why the connection's stored configuration cannot run here (its uplinks are shed), or
  /// empty. Set by the data plane, read by the status endpoint.
  void set_problem(std::string text) {
    std::lock_guard lock{problem_mutex_};
    problem_ = std::move(text);
  }
  std::string problem() const {
    std::lock_guard lock{problem_mutex_};
    return problem_;
  }

  void count(uplink_outcome o) {
    uplinks[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed);
    health.count(o, connection_health::clock::now());
  }
  std::uint64_t total(uplink_outcome o) const {
    return uplinks[static_cast<std::size_t>(o)].load(std::memory_order_relaxed);
  }

 private:
  mutable std::mutex problem_mutex_;
  std::string problem_;
};

/// Appends the I/O shards' figures in the Prometheus text format: busy time and the loop-turn
/// histogram (`tunnel_router_shard_turn_seconds`, see transport::shard_load::turn_counts), one
/// series per shard. Relaxed reads; callable from any thread.
void render_shard_metrics(std::string& out, std::span<const transport::shard_load> shards);

/// All the router's metrics, rendered in the Prometheus text format by `render()`.
/// Connections register once (a mutex, at set-up) and keep the returned pointer for the hot path.
class metrics_registry {
 public:
  /// The metrics of connection `id`, created on first use.
  std::shared_ptr<connection_metrics> connection(const std::string& id);
  /// The metrics of connection `id`, or nullptr when it has none.
  std::shared_ptr<connection_metrics> find(std::string_view id) const;
  /// Forgets a retired connection.
  void remove(const std::string& id);
  /// The ids of the connections that have metrics, sorted.
  std::vector<std::string> connection_ids() const;

  void count(downlink_outcome o) {
    downlinks_[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  }
  void count(report_outcome o, std::uint64_t n = 1) {
    reports_[static_cast<std::size_t>(o)].fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t total(downlink_outcome o) const {
    return downlinks_[static_cast<std::size_t>(o)].load(std::memory_order_relaxed);
  }
  std::uint64_t total(report_outcome o) const {
    return reports_[static_cast<std::size_t>(o)].load(std::memory_order_relaxed);
  }

  /// Uplinks with outcome `o` over every connection.
  std::uint64_t uplinks_total(uplink_outcome o) const;

  /// The whole exposition, in the Prometheus text format 0.0.4.
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<connection_metrics>, std::less<>> connections_;
  std::array<std::atomic<std::uint64_t>, downlink_outcome_count> downlinks_{};
  std::array<std::atomic<std::uint64_t>, report_outcome_count> reports_{};
};

}  // namespace tr::actors
