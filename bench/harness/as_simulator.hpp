#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/harness/latency_histogram.hpp"
#include "transport/http_listener.hpp"
#include "transport/runtime/runtime.hpp"

namespace tr::harness {

/// How an endpoint answers from a given time on.
struct endpoint_phase {
  enum class behaviour : std::uint8_t {
    fast,   ///< 200 at once
    delay,  ///< 200 after `delay_ms`
    error,  ///< 503 for a share `error_rate` of the requests, 200 for the others
    stop,   ///< never answers (the stream stays open until the client gives up)
  };
  double from_seconds = 0;  ///< when it starts, seconds after the schedule was set
  behaviour kind = behaviour::fast;
  std::uint32_t delay_ms = 0;
  double error_rate = 0;
};

/// Reads a schedule: phases separated by ';', each `[SECONDS+]fast | delay=MS | error=RATE |
/// stop`, e.g. `fast;5+delay=800` (fast, then 800 ms from 5 s on) or `2+stop;6+fast`. Empty on
/// a malformed text.
std::optional<std::vector<endpoint_phase>> parse_schedule(std::string_view text);

/// One simulated application server endpoint: a URL path, the connection key it verifies every
/// uplink token with (empty: it only counts arrivals as unsigned), and its schedule.
struct endpoint_config {
  std::string path;
  std::string key;
  std::string schedule = "fast";
  std::uint32_t check_every = 1;  ///< check the token of one uplink in this many
};

/// Reads `PATH,KEY,SCHEDULE` (KEY `-` for none, `KEY/N` to check one uplink in N; SCHEDULE
/// optional). Empty when malformed.
std::optional<endpoint_config> parse_endpoint(std::string_view text);

/// What one endpoint has seen (a snapshot).
struct endpoint_stats {
  std::string path;
  std::uint64_t arrived = 0;         ///< requests received
  std::uint64_t verified = 0;        ///< uplinks whose token matched
  std::uint64_t bad_token = 0;       ///< uplinks whose token did not match, or that did not parse
  std::uint64_t unsigned_ = 0;       ///< requests without a Token parameter (or no key known)
  std::uint64_t unchecked = 0;       ///< signed uplinks left out by KEY/N sampling
  std::uint64_t json = 0;            ///< content-type application/json
  std::uint64_t xml = 0;             ///< content-type application/xml
  std::uint64_t other_type = 0;      ///< any other content type
  std::uint64_t answered_ok = 0;     ///< answered 200
  std::uint64_t answered_error = 0;  ///< answered 503
  std::uint64_t held = 0;            ///< not answered (stop)
  std::uint64_t transit_count = 0;   ///< arrivals carrying the generator's send time
  std::uint64_t transit_p50_us = 0, transit_p90_us = 0, transit_p99_us = 0, transit_max_us = 0;
  /// When the late arrivals (transit over 2 ms) were sent: 10 ms windows from the last reset,
  /// each {window start in ms, late arrivals, their largest transit in µs}; the busiest 50.
  struct late_window {
    std::uint64_t start_ms = 0, late = 0, max_us = 0;
  };
  std::vector<late_window> late_windows;
};

/// A fast HTTPS application server for load runs: TLS with ALPN h2 and http/1.1 (or plain HTTP),
/// a certificate from a throw-away CA generated on the fly (its CA file is what the router must
/// trust), one runtime of its own. Every uplink is checked like a real AS would: the token
/// recomputed from the body (any of the three encodings) and the query with the endpoint's key.
/// When the body carries the generator's send time (`harness_ts`, monotonic µs, anywhere in the
/// text, typically in CustomerData), the time from send to arrival is recorded too.
///
/// Besides the endpoints, on the same port: `GET /stats` (JSON of every endpoint),
/// `POST /control?path=P&schedule=S` (a new schedule for P, timed from now), `POST /reset`
/// (counters to zero). Unknown paths are answered 200 and counted under `*`.
class as_simulator {
 public:
  struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  ///< 0: any free port
    std::size_t shards = 1;
    bool tls = true;
    std::string pki_dir;  ///< where the CA and certificate live (reused when present)
    std::vector<std::string> alpn = {"h2", "http/1.1"};
    std::vector<endpoint_config> endpoints;
    /// Print every request on stdout: method, path and query, content type, whether its
    /// token verifies, and the body (the walkthrough's example AS).
    bool print_requests = false;
  };

  /// Starts listening; throws std::runtime_error (bad key, bad schedule, port taken, PKI).
  explicit as_simulator(options opts);
  ~as_simulator();
  as_simulator(const as_simulator&) = delete;
  as_simulator& operator=(const as_simulator&) = delete;

  std::uint16_t port() const { return port_; }
  /// The CA file a client must trust (empty for plain HTTP).
  const std::string& ca_file() const { return ca_file_; }
  /// A loopback port that was bound and closed again: connecting to it is refused.
  std::uint16_t refused_port() const { return refused_port_; }

  /// Replaces the schedule of `path`, timed from now; false for an unknown path or bad text.
  bool set_schedule(std::string_view path, std::string_view schedule);
  /// Counters of every endpoint (the configured ones, then `*`).
  std::vector<endpoint_stats> stats() const;
  /// stats() as JSON.
  std::string stats_json() const;
  /// Counters to zero.
  void reset();
  /// Stops answering and closes every connection.
  void stop();

  struct endpoint;

 private:
  endpoint* find(std::string_view path) const;
  void serve(const transport::request_origin& origin, transport::http_server_connection& connection,
             const transport::request& request);

  options options_;
  std::unique_ptr<transport::runtime> runtime_;
  std::vector<std::unique_ptr<endpoint>> endpoints_;  // the last one is `*`
  std::chrono::steady_clock::time_point started_;
  std::uint16_t port_ = 0;
  std::uint16_t refused_port_ = 0;
  std::string ca_file_;
};

}  // namespace tr::harness
