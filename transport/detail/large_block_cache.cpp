#include "transport/detail/large_block_cache.hpp"

#include <array>

// Under AddressSanitizer a cached block is poisoned, so that a use after its buffer gave it
// back is still reported.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TR_BLOCKS_POISONED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TR_BLOCKS_POISONED 1
#endif
#ifdef TR_BLOCKS_POISONED
#include <sanitizer/asan_interface.h>
#define TR_POISON(data, size) ASAN_POISON_MEMORY_REGION(data, size)
#define TR_UNPOISON(data, size) ASAN_UNPOISON_MEMORY_REGION(data, size)
#else
#define TR_POISON(data, size) ((void)(data), (void)(size))
#define TR_UNPOISON(data, size) ((void)(data), (void)(size))
#endif

namespace tr::transport::detail {

namespace {

struct cached_block {
  std::byte* data = nullptr;
  std::size_t size = 0;
};

/// The calling thread's blocks, oldest first.
struct block_cache {
  std::array<cached_block, cached_blocks_max> blocks{};
  std::size_t count = 0;
  std::size_t bytes = 0;

  ~block_cache();

  void remove(std::size_t index) {
    TR_UNPOISON(blocks[index].data, blocks[index].size);
    bytes -= blocks[index].size;
    for (std::size_t i = index + 1; i < count; ++i) blocks[i - 1] = blocks[i];
    blocks[--count] = {};
  }
};

// Constant-initialized and trivially destructible: still readable while the thread's other
// thread_local objects are destroyed, after the cache itself is gone.
thread_local bool cache_gone = false;

block_cache::~block_cache() {
  cache_gone = true;
  for (std::size_t i = 0; i < count; ++i) {
    TR_UNPOISON(blocks[i].data, blocks[i].size);
    delete[] blocks[i].data;
  }
  count = bytes = 0;
}

block_cache* this_thread_cache() {
  if (cache_gone) return nullptr;
  thread_local block_cache cache;
  return &cache;
}

bool fits(std::size_t block, std::size_t wanted) {
  return block >= wanted && (block <= 2 * wanted || block <= wanted + (1 << 20));
}

}  // namespace

std::byte* allocate_block(std::size_t& size) {
  if (size < large_block_min) return new std::byte[size];  // not zeroed
  size = (size + large_block_min - 1) / large_block_min * large_block_min;
  if (block_cache* cache = this_thread_cache()) {
    std::size_t best = cache->count;
    for (std::size_t i = 0; i < cache->count; ++i) {
      std::size_t block = cache->blocks[i].size;
      if (fits(block, size) && (best == cache->count || block < cache->blocks[best].size))
        best = i;
    }
    if (best != cache->count) {
      cached_block taken = cache->blocks[best];
      cache->remove(best);
      size = taken.size;
      return taken.data;
    }
  }
  return new std::byte[size];
}

void free_block(std::byte* block, std::size_t size) noexcept {
  if (!block) return;
  block_cache* cache = size >= large_block_min && size <= cached_bytes_max
                           ? this_thread_cache()
                           : nullptr;
  if (!cache) {
    delete[] block;
    return;
  }
  while (cache->count == cached_blocks_max || cache->bytes + size > cached_bytes_max) {
    std::byte* oldest = cache->blocks[0].data;
    cache->remove(0);
    delete[] oldest;
  }
  TR_POISON(block, size);
  cache->blocks[cache->count++] = {block, size};
  cache->bytes += size;
}

std::size_t cached_block_bytes() noexcept {
  block_cache* cache = this_thread_cache();
  return cache ? cache->bytes : 0;
}

}  // namespace tr::transport::detail
