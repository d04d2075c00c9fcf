#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace tr::codecs::detail {

/// Bump allocator for text: chunks are kept across reset(), so a reused arena stops allocating
/// once it has grown to the largest document seen. Returned memory never moves.
class text_arena {
 public:
  /// Uninitialized storage for n bytes, valid until reset() or destruction.
  char* allocate(std::size_t n);

  /// A copy of text in the arena.
  std::string_view copy(std::string_view text);

  /// Forgets every allocation, keeps the chunks.
  void reset() {
    current_ = 0;
    used_ = 0;
  }

 private:
  struct chunk {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
  };
  // A typical report (about 1 KB, its text copied once) fits one chunk: reports held by posts to
  // other shards stay small. A larger document gets a chunk of its own size.
  static constexpr std::size_t default_chunk = 4 * 1024;

  std::vector<chunk> chunks_;
  std::size_t current_ = 0;
  std::size_t used_ = 0;
};

}  // namespace tr::codecs::detail
