#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "actors/metrics.hpp"
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
/// lines is refused whole with 413 before any line is read, which bounds the work of one turn.
/// One instance per shard: it owns that shard's parser and report and is not thread-safe.
class ingress {
 public:
  /// Receives each (target connection, parsed report, raw body) of a routed report.
  using dispatch_fn =
      std::function<void(routing_table::slot, const codecs::report&, std::string_view body)>;

  ingress(const routing_table& routes, metrics_registry& metrics, dispatch_fn dispatch);

  /// `POST /v1/reports?[connection=<id>]`.
  void handle_report(std::string_view query, std::string_view body, ingress_answer& out);
  /// `POST /v1/reports:batch?[connection=<id>]`.
  void handle_batch(std::string_view query, std::string_view body, ingress_answer& out);

  static constexpr std::size_t max_batch_lines = 10'000;
  static constexpr std::size_t max_listed_rejections = 100;

 private:
  /// Routes one report; returns the number of targets or a negative value with `error` set.
  int route_one(std::string_view target, std::string_view body, std::string& error, int& status);

  const routing_table& routes_;
  metrics_registry& metrics_;
  dispatch_fn dispatch_;
  codecs::report_parser parser_;
  codecs::report report_;
  std::string scratch_;
};

}  // namespace tr::actors
