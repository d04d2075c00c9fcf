// The benchmark binary's main and its heap-allocation counter: global operator new is replaced
// so every benchmark can report allocations per operation. (No benchmarks here; the file name
// ends in _bench.cpp so the bench glob compiles it.)
#include <atomic>
#include <cstdlib>
#include <new>

#include "bench/codecs/heap_counter.hpp"

namespace {
std::atomic<std::uint64_t> allocations{0};
}

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace tr::bench {
std::uint64_t heap_allocations() {
  return allocations.load(std::memory_order_relaxed);
}
}  // namespace tr::bench

BENCHMARK_MAIN();
