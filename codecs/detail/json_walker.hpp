#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "codecs/detail/report_builder.hpp"
#include "codecs/error.hpp"

namespace tr::codecs::detail {

/// Walks JSON into report nodes with simdjson's On Demand API (error codes, no exceptions).
/// Owns one simdjson parser, allocated once for report_limits::max_document_bytes, so walking
/// never allocates. Scalars are read as raw tokens: strings without escapes and numbers stay
/// views into the input, so numbers keep their exact source text.
class json_walker {
 public:
  json_walker();
  ~json_walker();
  json_walker(const json_walker&) = delete;
  json_walker& operator=(const json_walker&) = delete;

  /// Walks a report (`{"DevEUI_uplink": {...}}`) into `builder`. `json` must be followed by
  /// json_padding readable bytes that outlive the report.
  error walk_report(std::string_view json, report_builder& builder);

  /// Walks a JSON object or array (CustomerData carried in XML) into one node named `key`.
  /// `json` must be followed by json_padding readable bytes that outlive the report.
  error walk_embedded(std::string_view json, std::string_view key, std::size_t depth,
                      report_builder& builder);

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// True if `text` is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view text);

}  // namespace tr::codecs::detail
