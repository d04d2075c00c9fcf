// What connection health adds to each uplink on the connection actor's hot path:
// - loss_table: a healthy connection looks its device up (empty table) and, on delivery, tells
//   the table (nothing to erase); a lossy one does the same with `devices` entries held;
// - connection_health: counting one outcome (per-second and per-minute buckets, under the
//   connection's mutex) and observing one latency (log-spaced buckets);
// - encode_uplink vs encode: LostUplinksAS spliced into a compact JSON body (the copy path) and
//   written by the JSON and XML writers.
#include <benchmark/benchmark.h>

#include <string>

#include "actors/connection_health.hpp"
#include "actors/loss_table.hpp"
#include "codecs/encoders.hpp"
#include "codecs/report_parser.hpp"

namespace tr::bench {
namespace {

void loss_table_healthy(benchmark::State& state) {
  actors::loss_table table;
  std::uint64_t device = actors::loss_table::key_of("20635F0108000496");
  for (auto _ : state) {
    auto told = table.take(device);  // sent, then delivered: nothing more to do
    benchmark::DoNotOptimize(told);
    ++device;
  }
}

void loss_table_lossy(benchmark::State& state) {
  auto devices = static_cast<std::uint64_t>(state.range(0));
  actors::loss_table table{static_cast<std::size_t>(devices) * 2};
  for (std::uint64_t d = 0; d < devices; ++d) table.lose(d * 7919);
  std::uint64_t i = 0;
  for (auto _ : state) {
    std::uint64_t device = (i++ % devices) * 7919;
    auto told = table.take(device);
    table.lose(device);  // lost again: the table keeps its size
    benchmark::DoNotOptimize(told);
  }
}

void health_count_and_observe(benchmark::State& state) {
  actors::connection_health health;
  auto now = actors::connection_health::clock::now();
  std::int64_t us = 800;
  for (auto _ : state) {
    health.count(actors::uplink_outcome::delivered, now);
    health.observe(std::chrono::microseconds{us}, now);
    us = us * 13 % 100000 + 1;
  }
}

void health_clock_and_count(benchmark::State& state) {
  // As connection_metrics::count does it: reading the clock per outcome.
  actors::connection_health health;
  for (auto _ : state)
    health.count(actors::uplink_outcome::delivered, actors::connection_health::clock::now());
}

constexpr std::string_view sample =
    R"({"DevEUI_uplink":{"Time":"2021-04-07T08:49:51.3+00:00","DevEUI":"20635F0108000496","FPort":17,)"
    R"("FCntUp":18,"payload_hex":"032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab",)"
    R"("LrrRSSI":-67,"LrrSNR":1.50,"Lrrs":{"Lrr":[{"Lrrid":"1","Chain":0},{"Lrrid":"2","Chain":1}]},)"
    R"("CustomerID":"100002167","CustomerData":{"alr":{"pro":"LORA/Generic","ver":"1"}}}})";

template <bool with_lost>
void encode_sample(benchmark::State& state) {
  codecs::report_parser parser;
  codecs::report report;
  if (!parser.parse_json(sample, report).ok()) state.SkipWithError("sample does not parse");
  auto format = static_cast<codecs::body_format>(state.range(0));
  std::string out;
  for (auto _ : state) {
    out.clear();
    if constexpr (with_lost)
      codecs::encode_uplink(report, format, 3, out);
    else
      codecs::encode(report, format, out);
    benchmark::DoNotOptimize(out.data());
  }
}

BENCHMARK(loss_table_healthy);
BENCHMARK(loss_table_lossy)->ArgName("devices")->Arg(100)->Arg(10000);
BENCHMARK(health_count_and_observe);
BENCHMARK(health_clock_and_count);
// 0 json (compact: copied), 1 json_untyped, 2 xml
BENCHMARK(encode_sample<false>)->ArgName("format")->DenseRange(0, 2);
BENCHMARK(encode_sample<true>)->ArgName("format")->DenseRange(0, 2);

}  // namespace
}  // namespace tr::bench

BENCHMARK_MAIN();
