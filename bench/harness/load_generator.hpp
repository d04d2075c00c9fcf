#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bench/harness/latency_histogram.hpp"
#include "bench/harness/report_factory.hpp"

namespace tr::harness {

/// What to send, where and how fast.
struct load_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string path = "/v1/reports";  ///< `/v1/reports`, or `/v1/reports:batch` with `batch` > 0
  std::string query;                 ///< appended to the path as is, e.g. `?connection=ID`
  double rate = 0;                   ///< requests per second, open loop; 0: closed loop, at maximum
  double seconds = 10;               ///< how long to send
  double warmup_seconds = 0;         ///< the first part of `seconds` that is sent but not measured:
                                     ///< no latency recorded, send time 0 in the reports
  std::size_t connections = 4;       ///< h2c connections
  std::size_t streams = 16;          ///< concurrent requests per connection (closed loop: always)
  std::size_t shards = 1;            ///< generator threads
  std::size_t batch = 0;  ///< reports per request on `/v1/reports:batch` (NDJSON); 0: one
  report_factory::options reports;
};

/// Counters of a run (live, or final).
struct load_totals {
  std::uint64_t sent = 0;          ///< requests submitted
  std::uint64_t reports = 0;       ///< reports in them
  std::uint64_t accepted = 0;      ///< answered 202 (or 200 for a batch)
  std::uint64_t not_routed = 0;    ///< answered 404
  std::uint64_t other_status = 0;  ///< any other status
  std::uint64_t errors = 0;        ///< transport errors (reset, closed, ...)
  std::uint64_t skipped = 0;       ///< open loop: due but every connection was at its stream limit
  std::uint64_t reconnects = 0;    ///< connections lost or refused and made again
};

/// The outcome of a run.
struct load_result {
  load_options options;
  load_totals totals;
  double elapsed_seconds = 0;                           ///< time spent sending
  std::shared_ptr<latency_histogram> accepted_latency;  ///< of the accepted answers, µs

  /// A one-object JSON summary.
  std::string to_json() const;
};

/// An NS for load runs: HTTP/2 by prior knowledge (h2c) over N connections × M streams, on its own
/// runtime. Open loop paces by the clock, not by answers: every millisecond each shard sends what
/// is due (rate × elapsed − sent), so the average rate is exact and the spacing within a
/// millisecond; what finds no free stream is counted as skipped, never queued. Closed loop keeps
/// every stream busy.
class load_generator {
 public:
  explicit load_generator(load_options options);
  ~load_generator();
  load_generator(const load_generator&) = delete;
  load_generator& operator=(const load_generator&) = delete;

  /// Connects, sends for options.seconds (or until stop()), waits up to 2 s for the last answers.
  /// `each_second` is called on the calling thread about once a second with the live totals.
  load_result run(const std::function<void(const load_totals&, double elapsed)>& each_second = {});

  /// Ends run() early (any thread).
  void stop() { stop_requested_.store(true); }

  /// The live totals (any thread).
  load_totals totals() const;

  struct shard_driver;

 private:
  load_options options_;
  report_factory factory_;
  std::atomic<bool> stop_requested_{false};
  std::vector<std::unique_ptr<shard_driver>> drivers_;
};

/// A live progress line: `elapsed, rate, accepted, errors`, for a terminal (stderr).
std::string progress_line(const load_totals& totals, double elapsed, double rate_now);

}  // namespace tr::harness
