#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "actors/uplink_outcome.hpp"
#include "api/live_connections.hpp"

namespace tr::actors {

/// Why one uplink failed, for the status endpoint's list of recent failures.
struct failure_note {
  enum class kind : std::uint8_t { http, timeout, refused, tls, reset, error };
  kind what = kind::error;
  int status = 0;            ///< the HTTP status for `http`
  std::string_view message;  ///< one line (cut at 200 bytes)
  std::string_view body;     ///< the AS's answer (the first 256 bytes are kept)
};

/// The recent health of one connection, kept for `GET /api/v1/connections/{id}/status`: uplinks
/// by outcome per second for the last minute and per minute for the last 15 minutes (rings of
/// buckets stamped with their period, so stale ones are skipped on read and reused on write),
/// answer latencies per 10 s for the last minute in log-spaced buckets (×1.25 from 0.1 ms: p50
/// and p99 are read as the upper bound of their bucket, within 25 %), the time of the last
/// delivery and the last 20 failures. Written by the shard running the connection (and by an
/// ingress shard shedding for it), read by the admin API: a mutex held for a few stores per
/// uplink, never across a call.
class connection_health {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t kept_failures = 20;
  static constexpr std::size_t kept_body_bytes = 256;

  /// One uplink ended with `o` at `now`.
  void count(uplink_outcome o, clock::time_point now);
  /// One answered uplink took `latency`.
  void observe(std::chrono::microseconds latency, clock::time_point now);
  /// One uplink failed (outcome failed or timeout) for `why`.
  void fail(const failure_note& why);

  static constexpr std::size_t latency_buckets = 64;
  /// Answers of the last minute by log-spaced latency bucket (bucket i holds latencies up to
  /// 0.1 ms × 1.25^i; the last one, all above).
  using latency_histogram = std::array<std::uint64_t, latency_buckets>;

  /// The counts, latency and failures as of `now` into `out` (state, limit and in-flight are
  /// the caller's); the last minute's latency histogram into `latencies` when given.
  void summarize(clock::time_point now, api::connection_status& out,
                 latency_histogram* latencies = nullptr) const;

  /// p50 and p99 of `latencies` into `out` (the upper bound of their bucket; absent when the
  /// histogram is empty). Histograms of several replicas merge by adding them up.
  static void read_percentiles(const latency_histogram& latencies, api::connection_status& out);

 private:
  struct second_bucket {
    std::int64_t second = -1;
    std::array<std::uint32_t, uplink_outcome_count> counts{};
  };
  struct minute_bucket {
    std::int64_t minute = -1;
    std::array<std::uint64_t, uplink_outcome_count> counts{};
  };
  struct latency_slot {
    std::int64_t period = -1;  ///< 10 s periods
    std::array<std::uint32_t, latency_buckets> counts{};
  };
  struct failure {
    std::chrono::system_clock::time_point at;
    failure_note::kind what = failure_note::kind::error;
    int status = 0;
    std::string message;
    std::string body;
  };

  struct history {
    std::array<second_bucket, 60> seconds{};
    std::array<minute_bucket, 16> minutes{};
    std::array<latency_slot, 6> latencies{};
    std::array<failure, kept_failures> failures{};
  };
  /// The rings, made by the first write (under mutex_): ~6 KB that an idle connection of the
  /// 100,000 a router may load does not need.
  history& written();

  mutable std::mutex mutex_;
  std::unique_ptr<history> history_;
  std::size_t failures_written_ = 0;
  std::chrono::system_clock::time_point last_delivery_{};
  bool delivered_once_ = false;
};

/// The name of a failure kind: `http`, `timeout`, `refused`, `tls`, `reset`, `error`.
std::string_view name_of(failure_note::kind k);

/// Logs one fuse transition of `connection` as one line of the router's log (logging/log.hpp):
/// `tunnel-router: warning: fuse transition connection=<id> from=closed to=open reason="..."`
/// (level warning when the fuse opens, info otherwise).
void log_fuse_transition(std::string_view connection, std::string_view from, std::string_view to,
                         std::string_view reason);

/// A UTC time as ISO 8601 with milliseconds (`2024-05-01T12:00:00.123Z`).
std::string iso8601(std::chrono::system_clock::time_point t);

}  // namespace tr::actors
