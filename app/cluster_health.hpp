#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "actors/connection_health.hpp"
#include "api/live_connections.hpp"
#include "store/cluster.hpp"

namespace tr::app {

// Connection health in cluster mode. Every replica runs every connection with its own fuse and
// figures; GET /api/v1/connections/{id}/status answers for the whole cluster:
//
// - Each replica publishes its summary of each connection through the store (PostgreSQL table
//   `connection_health`) every 5 s, and only the summaries that changed since it last published
//   them: a connection without traffic stops changing once its last uplinks age out of the
//   15-minute window, so an idle cluster writes nothing, and a busy one one row per connection
//   and replica every 5 s, never one per uplink.
// - The replica answering the request merges its own live figures with the summaries of the
//   other live replicas (heartbeat within 6 s): counts, limit and in-flight are summed; the
//   state is `paused` when any replica says so (the flag is cluster-wide, a replica may lag),
//   else the worst of open > throttling > closed; latency percentiles are read from the sum of
//   the replicas' last-minute latency histograms (the same log-spaced buckets), so they are
//   those of the cluster's answers, not an average of percentiles; `lastDeliveryAt` is the
//   newest; the failures are the newest 20 of all replicas (listed oldest first, as on a single
//   node). `replicas` lists the instance ids merged, this one first.
// - Other replicas' figures are up to 5 s old (plus the time to write them).

/// One replica's figures of one connection: its status and its last minute's latencies.
struct health_figures {
  api::connection_status status;
  actors::connection_health::latency_histogram latencies{};
};

/// The compact JSON text published for `figures` (strings made valid UTF-8).
std::string encode_health(const health_figures& figures);

/// The figures of a published text, or nullopt when the text is not one.
std::optional<health_figures> decode_health(std::string_view text);

/// Adds `other` (another replica's figures) into `into` as described above, and lists
/// `other_replica` in into.status.replicas.
void merge_health(health_figures& into, const health_figures& other,
                  const std::string& other_replica);

/// Publishes this replica's figures of every connection through the store, from a thread of
/// its own, every `period`, only the ones whose text changed since they were last published
/// (a failed write is tried again at the next round).
class health_publisher {
 public:
  /// The figures of every connection running here, by connection id.
  using collector = std::function<std::vector<std::pair<std::string, health_figures>>()>;

  /// Starts the thread unless `period` is zero (then only publish_once() publishes).
  health_publisher(store::cluster_store& store, collector collect,
                   std::chrono::milliseconds period);
  ~health_publisher();
  health_publisher(const health_publisher&) = delete;
  health_publisher& operator=(const health_publisher&) = delete;

  /// One round now: the number of summaries written (0 when nothing changed or on failure).
  std::size_t publish_once();

 private:
  void run();

  store::cluster_store& store_;
  collector collect_;
  std::chrono::milliseconds period_;
  std::mutex round_mutex_;                         ///< one round at a time
  std::map<std::string, std::string> published_;  ///< connection id → text last written
  std::mutex stop_mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tr::app
