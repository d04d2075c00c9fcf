// The NS report parser on JSON bodies; accepted reports must survive an encode/parse round trip.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codecs/report_parser.hpp"
#include "fuzz/report_round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tr::codecs::report_parser parser;
  static tr::codecs::report report;
  std::string_view body{reinterpret_cast<const char*>(data), size};
  if (parser.parse_json(body, report).ok()) tr::fuzz::check_round_trip(parser, report);
  return 0;
}
