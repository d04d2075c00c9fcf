#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "codecs/detail/report_builder.hpp"
#include "codecs/error.hpp"

namespace simdjson::internal {
class dom_parser_implementation;
}

namespace tr::codecs::detail {

/// Walks JSON into report nodes. simdjson's stage 1 (SIMD, dispatched at run time to the CPU's
/// best kernel) validates UTF-8, strings and control characters and indexes every structural
/// character and token; the walk over that index is ours, because the report keeps every
/// scalar as its source text (numbers exactly as written) and On Demand's generic iteration
/// measured at half the speed for this full-tree walk. Stage 1 and its index are reached through
/// simdjson::internal::dom_parser_implementation, the interface simdjson's own parsers use:
/// public but not promised stable, so a simdjson upgrade beyond 3.0 must re-run these tests.
/// Owns the stage-1 state, sized once for report_limits::max_document_bytes, so walking never
/// allocates.
class json_walker {
 public:
  /// Throws std::runtime_error if simdjson cannot allocate its index (set-up time only).
  json_walker();
  ~json_walker();
  json_walker(const json_walker&) = delete;
  json_walker& operator=(const json_walker&) = delete;

  /// Walks a report (`{"DevEUI_uplink": {...}}`) into `builder`. `json` must be followed by
  /// json_padding zero bytes that outlive the report.
  error walk_report(std::string_view json, report_builder& builder);

  /// Walks a JSON object or array (CustomerData carried in XML) into one node named `key`.
  /// `json` must be followed by json_padding zero bytes that outlive the report.
  error walk_embedded(std::string_view json, std::string_view key, std::size_t depth,
                      report_builder& builder);

 private:
  std::unique_ptr<simdjson::internal::dom_parser_implementation> stage1_;
};

/// True if `text` is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view text);

}  // namespace tr::codecs::detail
