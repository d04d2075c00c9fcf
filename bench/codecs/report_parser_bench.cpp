// Parsing NS reports into the report tree (simdjson's stage 1 and our walk of its index for
// JSON, the strict XML reader for XML): throughput in bytes of input per second and heap
// allocations per report, with one reused report_parser and report, as the ingress uses them.
// Sweeps base stations (1, 3, 10) and payload sizes (11, 51, 222 bytes).
#include <benchmark/benchmark.h>

#include <string>

#include "bench/codecs/heap_counter.hpp"
#include "bench/codecs/sample_uplink.hpp"
#include "codecs/encoders.hpp"
#include "codecs/report_parser.hpp"

namespace tr::bench {
namespace {

void parse_json(benchmark::State& state) {
  std::string body =
      make_uplink(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  codecs::report_parser parser;
  codecs::report report;
  if (!parser.parse_json(body, report).ok()) state.SkipWithError("sample does not parse");
  std::uint64_t before = heap_allocations();
  for (auto _ : state) {
    codecs::error e = parser.parse_json(body, report);
    benchmark::DoNotOptimize(e);
  }
  report_allocations(state, before);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

void parse_xml(benchmark::State& state) {
  std::string json =
      make_uplink(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  codecs::report_parser parser;
  codecs::report report;
  std::string body;
  if (!parser.parse_json(json, report).ok()) state.SkipWithError("sample does not parse");
  codecs::encode_xml(report, body);
  if (!parser.parse_xml(body, report).ok()) state.SkipWithError("XML does not parse");
  std::uint64_t before = heap_allocations();
  for (auto _ : state) {
    codecs::error e = parser.parse_xml(body, report);
    benchmark::DoNotOptimize(e);
  }
  report_allocations(state, before);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

BENCHMARK(parse_json)->ArgNames({"lrrs", "payload"})->ArgsProduct({{1, 3, 10}, {11, 51, 222}});
BENCHMARK(parse_xml)->ArgNames({"lrrs", "payload"})->ArgsProduct({{1, 3, 10}, {51}});

}  // namespace
}  // namespace tr::bench
