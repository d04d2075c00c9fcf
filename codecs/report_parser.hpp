#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "codecs/error.hpp"
#include "codecs/report.hpp"

namespace tr::codecs {

namespace detail {
class json_walker;
}

/// Parses NS reports into a caller-owned, reused `report`. Owns one simdjson parser sized for
/// report_limits::max_document_bytes: keep one report_parser per thread (or per actor) and
/// reuse it; it is not thread-safe. After the first report, parsing a report of a similar size
/// performs no heap allocation.
///
/// JSON and JSON_UNTYPED share one grammar: a scalar is kept as its JSON type (strings
/// unescaped, numbers with their exact source text). XML leaves are strings (XML carries no
/// types), so a report read from XML or JSON_UNTYPED re-encodes its numbers as strings.
///
/// Checks beyond well-formedness: the root holds exactly one of the four report types; field
/// names outside CustomerData/DriverCfg are usable as XML names; DevEUI is present and 16 hex
/// digits; CustomerID and payload_hex are strings; FPort (0..255), FCntUp and FCntDn
/// (0..2^32-1) are decimal integers (numbers or strings); payload_hex is at most 512 hex
/// digits; the token fields appear at most once; report_limits bound size, depth and count.
class report_parser {
 public:
  report_parser();
  ~report_parser();
  report_parser(const report_parser&) = delete;
  report_parser& operator=(const report_parser&) = delete;

  /// Parses JSON or JSON_UNTYPED (`{"DevEUI_uplink": {...}}`). On error `out` is unspecified.
  error parse_json(std::string_view body, report& out);

  /// Parses XML (`<DevEUI_uplink xmlns="http://uri.actility.com/lora">...`).
  error parse_xml(std::string_view body, report& out);

  /// Parses any of the three encodings, chosen by the first non-space byte (`{` or `[`: JSON, `<`:
  /// XML).
  error parse(std::string_view body, report& out);

  /// Reports parsed (or attempted) on the calling thread by any report_parser: lets a test
  /// check on which thread, and how many times, reports are parsed.
  static std::uint64_t parsed_on_this_thread();

 private:
  std::unique_ptr<detail::json_walker> json_;
};

}  // namespace tr::codecs
