// The three body encoders on a parsed report, appending into one reused buffer as a connection
// actor does. Throughput is in bytes of the *source* report per second (the same basis as the
// parse benchmark; XML output is larger, so its output rate is higher still); `out_bytes` is
// the size produced. Sweeps base stations (1, 3, 10) and payload sizes (11, 51, 222 bytes).
// encode_json_copy is the path of a compact NS body, which encode_json copies unchanged.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/codecs/heap_counter.hpp"
#include "bench/codecs/sample_uplink.hpp"
#include "codecs/encoders.hpp"
#include "codecs/report_parser.hpp"

namespace tr::bench {
namespace {

/// `spaced`: the source has one space in it, so JSON goes through the writer instead of being
/// copied (a compact source without escapes is copied as it is: see encode_json_copy).
template <codecs::body_format format, bool spaced = true>
void encode(benchmark::State& state) {
  std::string json =
      make_uplink(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  if (spaced) json.insert(json.find(':') + 1, " ");
  codecs::report_parser parser;
  codecs::report report;
  if (!parser.parse_json(json, report).ok()) state.SkipWithError("sample does not parse");
  std::string out;
  codecs::encode(report, format, out);
  std::uint64_t before = heap_allocations();
  for (auto _ : state) {
    out.clear();
    codecs::encode(report, format, out);
    benchmark::DoNotOptimize(out.data());
  }
  report_allocations(state, before);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * json.size()));
  state.counters["body_bytes"] = static_cast<double>(json.size());
  state.counters["out_bytes"] = static_cast<double>(out.size());
}

void encode_json(benchmark::State& state) {
  encode<codecs::body_format::json>(state);
}
void encode_json_copy(benchmark::State& state) {
  encode<codecs::body_format::json, false>(state);
}
void encode_json_untyped(benchmark::State& state) {
  encode<codecs::body_format::json_untyped>(state);
}
void encode_xml(benchmark::State& state) {
  encode<codecs::body_format::xml>(state);
}

BENCHMARK(encode_json)->ArgNames({"lrrs", "payload"})->ArgsProduct({{1, 3, 10}, {11, 51, 222}});
BENCHMARK(encode_json_copy)->ArgNames({"lrrs", "payload"})->ArgsProduct({{3}, {51}});
BENCHMARK(encode_json_untyped)
    ->ArgNames({"lrrs", "payload"})
    ->ArgsProduct({{1, 3, 10}, {11, 51, 222}});
BENCHMARK(encode_xml)->ArgNames({"lrrs", "payload"})->ArgsProduct({{1, 3, 10}, {11, 51, 222}});

}  // namespace
}  // namespace tr::bench
