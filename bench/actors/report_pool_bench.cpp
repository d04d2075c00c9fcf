// What a report handed to another shard costs the ingress that parsed it: parsing into a report
// from the report_pool (taken back once the holder lets go) against parsing into a new report
// each time (a shared_ptr, its tree and text arena allocated and freed per report). `held`
// reports are still held by their targets when the next one is parsed, as posts waiting in
// another shard's inbox would be; 0 is the one-shard case (nothing is ever lent). Single-threaded:
// the cost of freeing on another thread is not in these figures.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "actors/report_pool.hpp"
#include "bench/codecs/sample_uplink.hpp"
#include "codecs/report_parser.hpp"

namespace tr::bench {
namespace {

/// The targets' side: each report is let go `held` reports later.
struct holders {
  explicit holders(std::size_t held) : ring(held) {}
  void keep(const actors::shared_report& report) {
    if (ring.empty()) return;
    ring[next] = report;
    next = (next + 1) % ring.size();
  }
  std::vector<actors::shared_report> ring;
  std::size_t next = 0;
};

void pooled(benchmark::State& state) {
  std::string body = make_uplink(3, 51);
  codecs::report_parser parser;
  actors::report_pool pool;
  holders targets{static_cast<std::size_t>(state.range(0))};
  for (auto _ : state) {
    benchmark::DoNotOptimize(parser.parse_json(body, pool.writable()));
    targets.keep(pool.current());
  }
  state.counters["made_per_op"] =
      benchmark::Counter(static_cast<double>(pool.made()), benchmark::Counter::kAvgIterations);
}

void fresh(benchmark::State& state) {
  std::string body = make_uplink(3, 51);
  codecs::report_parser parser;
  holders targets{static_cast<std::size_t>(state.range(0))};
  for (auto _ : state) {
    auto report = std::make_shared<codecs::report>();
    benchmark::DoNotOptimize(parser.parse_json(body, *report));
    targets.keep(report);
  }
}

BENCHMARK(pooled)->ArgName("held")->Arg(0)->Arg(4)->Arg(64);
BENCHMARK(fresh)->ArgName("held")->Arg(0)->Arg(4)->Arg(64);

}  // namespace
}  // namespace tr::bench
