#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tr::api {

/// Uplinks of one connection by outcome over a period.
struct outcome_counts {
  std::uint64_t delivered = 0, failed = 0, timeout = 0, shed = 0, paused = 0;
};

/// One recent failure of a connection.
struct failure_entry {
  std::string at;       ///< UTC, ISO 8601 with milliseconds
  std::string kind;     ///< `http`, `timeout`, `refused`, `tls`, `reset` or `error`
  int status = 0;       ///< the HTTP status for `http`, else 0
  std::string message;  ///< one line
  std::string body;     ///< up to 256 bytes of the AS's answer
};

/// The health of one connection as `GET /api/v1/connections/{id}/status` shows it.
struct connection_status {
  std::string state = "closed";  ///< `closed`, `throttling`, `open` or `paused`
  std::string reason;            ///< why the state last changed (of a replica in that state)
  std::uint32_t limit = 0;       ///< the fuse's concurrency limit
  std::int64_t in_flight = 0;
  outcome_counts last_minute, last_15_minutes;
  std::optional<double> p50_ms, p99_ms;  ///< over the last minute; absent without answers
  std::string last_delivery_at;          ///< empty: none since start
  std::vector<failure_entry> failures;   ///< the last 20, oldest first
  std::vector<std::string> replicas;     ///< the router instances whose figures these are
  std::string problem;  ///< why this replica cannot run the connection (uplinks shed), or empty
};

/// What `POST /api/v1/connections/{id}/test` answers.
struct test_uplink_result {
  std::string request;  ///< the request line sent, e.g. `POST /uplink?LrnDevEui=... HTTP/2`
  int status = 0;       ///< 0 without an answer
  double latency_ms = 0;
  std::string body;   ///< up to 256 bytes of the answer
  std::string error;  ///< empty on an answer
};

/// The running data plane as the admin API sees it (set by the router; absent in tests of the
/// API alone, where these endpoints answer 503). Thread-safe.
class live_connections {
 public:
  virtual ~live_connections() = default;
  /// The health of connection `id`, or nullopt when it does not run here.
  virtual std::optional<connection_status> status(std::string_view id) = 0;
  /// Sends one signed test uplink on connection `id` without waiting: `done` is called once,
  /// from the connection's thread, after the AS answered or the request timeout. False (and
  /// `done` never called) when the connection does not run here.
  virtual bool send_test(std::string_view id, std::function<void(test_uplink_result)> done) = 0;
};

}  // namespace tr::api
