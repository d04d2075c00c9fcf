#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/connection_config.hpp"
#include "actors/metrics.hpp"
#include "actors/replay_cache.hpp"
#include "codecs/time.hpp"
#include "store/cluster.hpp"

namespace tr::actors {

class routing_table;

/// The parameters of a downlink (docs/protocol.md §3), percent-decoded.
struct downlink_fields {
  std::string dev_eui, fport, payload, fcnt_dn, confirmed, flush_queue, validity_time;
  std::string as_id, time, correlation_id, token;
};

/// The verdict on one downlink: an outcome (and its metric), the HTTP status and short text
/// the AS gets when refused, and on acceptance the connection it was signed for.
struct downlink_verdict {
  downlink_outcome outcome = downlink_outcome::malformed;
  int status = 400;
  std::string reason;  ///< short text body, e.g. "bad token"
  std::shared_ptr<const connection_config> connection;
  downlink_fields fields;
  /// Cluster mode: accepted so far, but steps 5 and 7 are still to run in the shared store
  /// (downlink_verifier::check_cluster) before the downlink may be delivered.
  bool cluster_check = false;
  std::chrono::system_clock::time_point expiry;  ///< the token's replay record is kept until then
};

/// Verifies downlinks, in this order, each failure with its own status and outcome:
/// 1. malformed or missing parameters → 400 (DevEUI 16 hex, FPort 1..224, Payload hex,
///    FCntDn decimal, Confirmed/FlushDownlinkQueue 0|1, ValidityTime ISO 8601 or seconds,
///    AS_ID, Time ISO 8601, CorrelationID 16 hex, Token 64 hex and last; repeats refused;
///    parameters unknown to this list are tolerated: the token covers them);
/// 2. no connection with this AS_ID → 403 "unknown AS_ID";
/// 3. the token verifies with none of the keys of the connections with this AS_ID → 401;
///    SHA-256 over the received parameter order, percent-decoded, compared in constant time;
/// 4. Time outside the connection's max time deviation of the router's clock, either
///    direction → 403 "stale time";
/// 5. the token was accepted before within its window → 409 "replay" (the replay cache keeps
///    each accepted token until its Time plus the deviation; memory bounded);
/// 6. the device is not routed to that connection → 403 "device not routed";
/// 7. over the connection's downlink rate (token bucket) → 429.
/// Delivery to the NS is the caller's. Thread-safe: the directory of connections is behind a
/// reader-writer lock (changes are rare); the replay cache and buckets have their own locks.
class downlink_verifier {
 public:
  struct options {
    double rate_per_s = 10;  ///< downlink.rate_per_s
    double burst = 20;       ///< downlink.burst
    std::size_t replay_capacity = 1'000'000;
  };

  explicit downlink_verifier(options opts);

  /// Replaces the whole set of connections.
  void set_connections(std::vector<std::shared_ptr<const connection_config>> connections);
  /// Adds or replaces one connection (its AS_ID or key may have changed).
  void upsert_connection(std::shared_ptr<const connection_config> connection);
  /// Forgets one connection.
  void remove_connection(const std::string& id);

  /// Verifies the raw query of `POST /thingpark/lrc/rest/downlink`. `routes` is the calling
  /// shard's routing table.
  downlink_verdict verify(std::string_view raw_query, const routing_table& routes,
                          codecs::time_point now);

  /// Takes back the acceptance of `verdict` (its downlink could not be delivered: no NS, or the
  /// NS failed): its token is no longer a replay, so the AS may send the same request again.
  void release(const downlink_verdict& verdict);

  /// Cluster mode: the replay record and the token bucket live in the shared store (steps 5
  /// and 7 in one round trip after step 6, off the calling thread: see check_cluster). Call
  /// before the first verify; `cluster` must outlive this verifier.
  void share_with(store::cluster_store* cluster) noexcept { cluster_ = cluster; }

  /// Runs steps 5 and 7 of a verdict marked `cluster_check` in the shared store without
  /// blocking; `done` gets the final verdict on a store thread (or at once): accepted, 409
  /// replay, 429, or 503 with nothing spent when the store is unreachable, its check queue is
  /// full, or the check ran out of time.
  void check_cluster(downlink_verdict verdict, std::function<void(downlink_verdict)> done);

  /// Checks and decodes the parameters alone (step 1); the reason is empty when they are fine.
  /// With `token_required` false a query without Token passes (`tunnel-router token downlink`).
  static std::string parse_fields(std::string_view raw_query, downlink_fields& out,
                                  bool token_required = true);

 private:
  using directory =
      std::unordered_map<std::string, std::vector<std::shared_ptr<const connection_config>>>;

  void erase_locked(const std::string& id);

  bool take_rate_token(const std::string& connection_id);

  options options_;
  mutable std::shared_mutex directory_mutex_;  ///< changes are rare, lookups take a shared lock
  directory by_as_id_;
  std::unordered_map<std::string, std::string> as_id_of_;  ///< connection id → its AS_ID
  replay_cache replays_;
  std::mutex buckets_mutex_;
  std::unordered_map<std::string, token_bucket> buckets_;
  store::cluster_store* cluster_ = nullptr;
};

}  // namespace tr::actors
