#pragma once

// What the fuzz targets share: a reader that splits one fuzz input into small decisions (a
// mode, chunk sizes) and byte runs, and a check that aborts so libFuzzer records a finding.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

namespace tr::fuzz {

/// Consumes one fuzz input from the front: decisions take one byte each (0 once the input is
/// used up), byte runs take what they ask for or what is left.
class input_reader {
 public:
  input_reader(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return rest_.empty(); }
  std::size_t size() const { return rest_.size(); }

  /// One byte as a number (0 when nothing is left).
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

  /// A number in [low, high] from one byte.
  std::size_t between(std::size_t low, std::size_t high) {
    return low + byte() % (high - low + 1);
  }

  /// The next `count` bytes (fewer at the end).
  std::string_view take(std::size_t count) {
    auto part = rest_.substr(0, std::min(count, rest_.size()));
    rest_.remove_prefix(part.size());
    return part;
  }

  /// Everything left.
  std::string_view rest() { return take(rest_.size()); }

  /// Bytes up to the next `separator` (dropped) or the end.
  std::string_view until(char separator) {
    auto end = rest_.find(separator);
    auto part = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
    return part;
  }

 private:
  std::string_view rest_;
};

/// The bytes of a string, as a span.
inline std::span<const std::byte> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

/// The characters of a byte span.
inline std::string_view text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

/// Aborts with `what` when `condition` is false: a broken property is a finding like a crash.
inline void check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

}  // namespace tr::fuzz
