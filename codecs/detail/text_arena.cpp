#include "codecs/detail/text_arena.hpp"

#include <algorithm>
#include <cstring>

namespace tr::codecs::detail {

char* text_arena::allocate(std::size_t n) {
  while (current_ < chunks_.size()) {
    chunk& c = chunks_[current_];
    if (c.size - used_ >= n) {
      char* p = c.data.get() + used_;
      used_ += n;
      return p;
    }
    ++current_;
    used_ = 0;
  }
  std::size_t size = std::max(n, default_chunk);
  chunks_.push_back(chunk{std::make_unique_for_overwrite<char[]>(size), size});
  used_ = n;
  return chunks_.back().data.get();
}

std::string_view text_arena::copy(std::string_view text) {
  if (text.empty()) return {};
  char* p = allocate(text.size());
  std::memcpy(p, text.data(), text.size());
  return {p, text.size()};
}

}  // namespace tr::codecs::detail
