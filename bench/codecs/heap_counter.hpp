#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace tr::bench {

/// Heap allocations made by this process so far (global operator new is replaced in
/// main_bench.cpp).
std::uint64_t heap_allocations();

/// Adds the counter `allocs_per_op`: allocations since `before`, averaged over iterations.
inline void report_allocations(benchmark::State& state, std::uint64_t before) {
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(heap_allocations() - before), benchmark::Counter::kAvgIterations);
}

}  // namespace tr::bench
