#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace tr::harness {

/// A latency histogram in microseconds, safe to record into from several threads (relaxed
/// atomic buckets). Values below 64 µs are exact; above, each power of two is split into 32
/// buckets (about 3 % resolution), up to 2^40 µs.
class latency_histogram {
 public:
  static constexpr std::size_t bucket_count = 64 + 35 * 32;

  /// Records one value.
  void record(std::uint64_t micros);

  /// Adds every value of `other`.
  void merge(const latency_histogram& other);

  /// Forgets every value.
  void reset();

  /// Values recorded.
  std::uint64_t count() const;

  /// The value at quantile `q` (0..1), as the upper bound of its bucket; 0 when empty.
  std::uint64_t quantile(double q) const;

  /// The largest value recorded.
  std::uint64_t max() const { return max_.load(std::memory_order_relaxed); }

  /// `{"count":..,"p50":..,"p90":..,"p99":..,"p999":..,"max":..}` (µs).
  std::string to_json() const;

 private:
  static std::size_t index_of(std::uint64_t micros);
  static std::uint64_t upper_bound_of(std::size_t index);

  std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
  std::atomic<std::uint64_t> max_{0};
};

/// Microseconds of the monotonic clock (shared by every process of the machine).
std::uint64_t monotonic_micros();

}  // namespace tr::harness
