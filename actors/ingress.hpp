#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "actors/metrics.hpp"
#include "actors/report_pool.hpp"
#include "actors/routing_table.hpp"
#include "codecs/report.hpp"
#include "codecs/report_parser.hpp"

namespace tr::actors {

/// An answer to the NS: status and JSON body.
struct ingress_answer {
  int status = 202;
  std::string body;
};

/// The NS side of the router on one shard: `POST /v1/reports` and `POST /v1/reports:batch`.
///
/// A report is parsed (typed JSON, the four report types), routed by its DevEUI through the
/// shard's routing table, or to `?connection=<id>` alone, and handed to `dispatch` once per
/// target connection; the NS gets `202 {"routed": n}` at once, `404` when nothing routes it,
/// `400` with the parser's reason when it is malformed. A batch is NDJSON, one report per line
/// (blank lines skipped): `200 {"accepted": n, "rejected": [{"line": k, "error": "..."}]}`.
/// The answer stays small whatever the batch holds: at most `max_listed_rejections` lines are
/// listed (with `"rejectedCount"` giving them all), and a batch of more than `max_batch_lines`
/// lines is refused whole with 413 before any line is read.
///
/// A large batch can be worked through in slices (begin_batch, then continue_batch once per loop
/// turn with a byte budget), so that one batch of thousands of lines does not hold the shard's
/// thread for all of them: the answer is the same as in one go. Batches held between slices
/// keep their own copy of the body, at most `max_sliced_bytes` on one shard at once (the
/// caller does a batch past that in one go, which slows that sender down instead).
///
/// Each report is parsed once, here: what `dispatch` receives is an immutable shared value
/// that a connection on another shard takes as it is (a copy of the pointer), never re-parsed
/// there. The reports come from a report_pool, so steady state does not allocate.
/// One instance per shard: it owns that shard's parser and reports and is not thread-safe.
class ingress {
 public:
  /// Receives each (target connection, parsed report) of a routed report.
  using dispatch_fn = std::function<void(routing_table::slot, const shared_report&)>;

  ingress(const routing_table& routes, metrics_registry& metrics, dispatch_fn dispatch);

  /// `POST /v1/reports?[connection=<id>]`.
  void handle_report(std::string_view query, std::string_view body, ingress_answer& out);
  /// `POST /v1/reports:batch?[connection=<id>]`, all lines in one go.
  void handle_batch(std::string_view query, std::string_view body, ingress_answer& out);

  /// A batch being worked through: the lines left and the answer so far.
  struct batch_progress {
    std::string_view rest;  ///< the lines not read yet (a view of `body` once kept)
    std::string body;       ///< the batch's own copy, once kept between slices
    std::string target;     ///< the decoded `connection` parameter
    std::string rejected;   ///< the listed rejections, JSON
    std::size_t line_number = 0;
    std::size_t accepted = 0;
    std::size_t rejected_count = 0;
    std::size_t kept = 0;   ///< bytes counted against max_sliced_bytes
  };

  /// Checks a batch's query and size; false when `out` already holds the whole answer (400,
  /// 413). `body` must stay valid until the batch is kept or done.
  bool begin_batch(std::string_view query, std::string_view body, batch_progress& batch,
                   ingress_answer& out);
  /// Reads lines until about `max_bytes` were read (at least one line); true once the batch is
  /// done and `out` holds its answer.
  bool continue_batch(batch_progress& batch, std::size_t max_bytes, ingress_answer& out);
  /// Keeps the batch to go on after the request's body is gone: copies the rest of it into
  /// the batch, or with `copy` false counts it only (the caller keeps the body alive itself,
  /// unmoved, until the batch is done). False (nothing kept) when batches held on this shard
  /// would exceed max_sliced_bytes.
  bool keep_batch(batch_progress& batch, bool copy = true);

  static constexpr std::size_t max_batch_lines = 10'000;
  static constexpr std::size_t max_listed_rejections = 100;
  static constexpr std::size_t max_sliced_bytes = 32 << 20;

  /// Reports this ingress made (parsed into) since the start: a test sees recycling work.
  std::size_t reports_made() const { return reports_.made(); }

 private:
  /// Routes one report; returns the number of targets or a negative value with `error` set.
  int route_one(std::string_view target, std::string_view body, std::string& error, int& status);

  const routing_table& routes_;
  metrics_registry& metrics_;
  dispatch_fn dispatch_;
  codecs::report_parser parser_;
  report_pool reports_;
  std::string scratch_;
  std::size_t kept_bytes_ = 0;  // bodies of batches held between slices
};

}  // namespace tr::actors
