#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace tr::codecs::detail {

/// Appends to a std::string through a raw pointer instead of one append call per token: the
/// string is extended to its capacity up front (no reallocation once the caller's buffer is
/// warm), and trimmed to what was written when the output is destroyed.
class output {
 public:
  explicit output(std::string& target) : target_(target) {
    std::size_t used = target.size();
    target.resize(std::max(target.capacity(), used + initial_room));
    next_ = target.data() + used;
    limit_ = target.data() + target.size();
  }

  ~output() { target_.resize(static_cast<std::size_t>(next_ - target_.data())); }

  output(const output&) = delete;
  output& operator=(const output&) = delete;

  /// Appends `text`.
  void put(std::string_view text) {
    if (text.empty()) return;
    room(text.size());
    std::memcpy(next_, text.data(), text.size());
    next_ += text.size();
  }

  /// Appends `c`.
  void put(char c) {
    room(1);
    *next_++ = c;
  }

 private:
  static constexpr std::size_t initial_room = 1024;

  void room(std::size_t n) {
    if (static_cast<std::size_t>(limit_ - next_) < n) grow(n);
  }

  void grow(std::size_t n) {
    std::size_t used = static_cast<std::size_t>(next_ - target_.data());
    target_.resize(std::max(target_.size() * 2, used + n + initial_room));
    next_ = target_.data() + used;
    limit_ = target_.data() + target_.size();
  }

  std::string& target_;
  char* next_;
  char* limit_;
};

}  // namespace tr::codecs::detail
