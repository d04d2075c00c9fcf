#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/result.hpp"

namespace tr::store {

/// The answer of the cluster-wide downlink check.
enum class downlink_spend {
  accepted,      ///< the token is recorded as spent and a rate token was taken
  replay,        ///< the token was spent before (on any replica) and has not expired
  rate_limited,  ///< the connection's cluster-wide token bucket is empty
  unavailable,   ///< the store cannot be reached: nothing was recorded (fail closed)
  busy,          ///< the check queue is full or the check ran out of time: nothing recorded
};

/// One downlink token to check and spend for the whole cluster.
struct downlink_check {
  std::string connection_id;
  std::string token;
  std::chrono::system_clock::time_point expiry;  ///< the record is kept until then
  double rate_per_s = 10;                        ///< the connection's bucket refill rate
  double burst = 20;                             ///< the bucket's size
};

/// Receives the answer of a downlink check, exactly once, on a store thread (or at once on the
/// asking thread when the check was not even queued).
using downlink_answer = std::function<void(downlink_spend)>;

/// One replica as the instances table has it.
struct instance_info {
  std::string id;
  std::string host;
  std::string version;
  std::string started_at;    ///< ISO 8601, UTC
  std::int64_t generation;   ///< the last change generation it applied
  std::string heartbeat_at;  ///< ISO 8601, UTC
};

/// One replica's health summary of one connection, as it published it (the text is the
/// publisher's own encoding; the store does not read it).
struct published_health {
  std::string instance_id;
  std::string summary;
};

/// What replicas sharing one store (PostgreSQL) share beyond the configuration: the downlink
/// replay records and token buckets, the list of live replicas and their connections' health.
class cluster_store {
 public:
  virtual ~cluster_store() = default;

  /// Checks and spends a downlink token in one round trip, off the calling thread: refused
  /// when the token was spent for this connection before and has not expired, or when the
  /// connection's bucket (refilled at `rate_per_s`, holding at most `burst`) is empty;
  /// otherwise recorded until `expiry`. Never blocks: the check is queued for a small pool of
  /// store sessions (bounded queue, bounded time); `answer` gets `unavailable` at once while the
  /// store is down and `busy` when the queue is full or the check ran out of time.
  virtual void spend_downlink(downlink_check check, downlink_answer answer) = 0;

  /// Forgets a spent token (its downlink was not delivered), so the AS may send it again.
  /// Queued like a check; dropped (the token stays spent) when the store is down or busy.
  virtual void release_downlink(std::string connection_id, std::string token) = 0;

  /// Registers this replica and keeps its heartbeat (every 2 s) until the store closes.
  virtual void join(std::string host, std::string version) = 0;

  /// The replicas whose heartbeat is at most 6 s old, this one included, sorted by id.
  virtual result<std::vector<instance_info>> live_instances() = 0;

  /// How many replicas were live at the last heartbeat (at least 1: this one).
  virtual std::size_t live_count() const noexcept = 0;

  /// True while the store answers (the listening connection is up).
  virtual bool store_up() const noexcept = 0;

  /// This replica's id (as `live_instances` lists it).
  virtual const std::string& instance_id() const noexcept = 0;

  /// Replaces this replica's health summaries of the given connections (id, summary) in one
  /// transaction. Rows of replicas gone and of deleted connections are removed by housekeeping.
  virtual result<void> publish_health(
      const std::vector<std::pair<std::string, std::string>>& summaries) = 0;

  /// The health summaries of `connection_id` published by the live replicas other than this
  /// one, sorted by instance id.
  virtual result<std::vector<published_health>> health_of(std::string_view connection_id) = 0;
};

}  // namespace tr::store
