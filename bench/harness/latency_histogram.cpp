#include "bench/harness/latency_histogram.hpp"

#include <bit>
#include <chrono>
#include <cstdio>

namespace tr::harness {

std::size_t latency_histogram::index_of(std::uint64_t micros) {
  if (micros < 64) return static_cast<std::size_t>(micros);
  auto exponent = static_cast<std::size_t>(std::bit_width(micros) - 1);  // >= 6
  if (exponent > 40) return bucket_count - 1;
  auto sub = static_cast<std::size_t>((micros >> (exponent - 5)) & 31);
  return 64 + (exponent - 6) * 32 + sub;
}

std::uint64_t latency_histogram::upper_bound_of(std::size_t index) {
  if (index < 64) return index;
  auto exponent = (index - 64) / 32 + 6;
  auto sub = (index - 64) % 32;
  return ((32 + sub + 1) << (exponent - 5)) - 1;
}

void latency_histogram::record(std::uint64_t micros) {
  buckets_[index_of(micros)].fetch_add(1, std::memory_order_relaxed);
  auto seen = max_.load(std::memory_order_relaxed);
  while (micros > seen && !max_.compare_exchange_weak(seen, micros, std::memory_order_relaxed)) {
  }
}

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < bucket_count; ++i)
    buckets_[i].fetch_add(other.buckets_[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
  auto theirs = other.max();
  auto seen = max_.load(std::memory_order_relaxed);
  while (theirs > seen && !max_.compare_exchange_weak(seen, theirs, std::memory_order_relaxed)) {
  }
}

void latency_histogram::reset() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
}

std::uint64_t latency_histogram::count() const {
  std::uint64_t total = 0;
  for (auto& b : buckets_) total += b.load(std::memory_order_relaxed);
  return total;
}

std::uint64_t latency_histogram::quantile(double q) const {
  auto total = count();
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total));
  if (rank >= total) rank = total - 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen > rank) return std::min(upper_bound_of(i), max());
  }
  return max();
}

std::string latency_histogram::to_json() const {
  char text[200];
  std::snprintf(text, sizeof text,
                R"({"count":%llu,"p50":%llu,"p90":%llu,"p99":%llu,"p999":%llu,"max":%llu})",
                static_cast<unsigned long long>(count()), static_cast<unsigned long long>(quantile(0.5)),
                static_cast<unsigned long long>(quantile(0.9)), static_cast<unsigned long long>(quantile(0.99)),
                static_cast<unsigned long long>(quantile(0.999)), static_cast<unsigned long long>(max()));
  return text;
}

std::uint64_t monotonic_micros() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

}  // namespace tr::harness
