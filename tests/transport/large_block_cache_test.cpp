// Large byte_buffer blocks are recycled per thread (transport/detail/large_block_cache.hpp).

#include <gtest/gtest.h>

#include <thread>

#include "transport/detail/byte_buffer.hpp"
#include "transport/detail/large_block_cache.hpp"

namespace tr::transport::detail {
namespace {

constexpr std::size_t batch_size = 3'168'890;  // a batch of 10,000 lines of ~300 bytes

const std::byte* block_of(byte_buffer& buffer) {
  return buffer.prepare(1).data() - buffer.size();
}

// Each test runs on a thread of its own, so it starts with an empty cache.
template <typename F>
void on_fresh_thread(F test) {
  std::thread{[&] {
    ASSERT_EQ(cached_block_bytes(), 0u);
    test();
  }}.join();
}

TEST(large_block_cache, a_large_block_given_back_is_reused_by_the_next_buffer_of_that_size) {
  on_fresh_thread([] {
    byte_buffer first;
    first.reserve(batch_size);
    const std::byte* block = block_of(first);
    first.release();
    EXPECT_GE(cached_block_bytes(), batch_size);
    byte_buffer second;
    second.reserve(batch_size);
    EXPECT_EQ(block_of(second), block);
    EXPECT_EQ(cached_block_bytes(), 0u) << "the block is in use again, not in the cache";
  });
}

TEST(large_block_cache, a_buffer_destroyed_gives_its_block_to_the_next_one) {
  on_fresh_thread([] {
    const std::byte* block = nullptr;
    {
      byte_buffer taken;
      taken.reserve(batch_size);
      taken.append(std::string(1000, 'x'));
      block = block_of(taken);
      byte_buffer moved = std::move(taken);  // a handler taking a body buffer
      EXPECT_EQ(block_of(moved), block);
    }
    byte_buffer next;
    next.reserve(batch_size - 1000);
    EXPECT_EQ(block_of(next), block);
  });
}

TEST(large_block_cache, rounds_a_large_size_up_so_that_near_sizes_share_blocks) {
  on_fresh_thread([] {
    byte_buffer first;
    first.reserve(batch_size);
    EXPECT_EQ(first.capacity() % large_block_min, 0u);
    EXPECT_GE(first.capacity(), batch_size);
    const std::byte* block = block_of(first);
    first.release();
    byte_buffer slightly_larger;
    slightly_larger.reserve(batch_size + 1000);
    EXPECT_EQ(block_of(slightly_larger), block);
  });
}

TEST(large_block_cache, keeps_no_small_block) {
  on_fresh_thread([] {
    byte_buffer small;
    small.reserve(large_block_min - 1);
    EXPECT_EQ(small.capacity(), large_block_min - 1);
    small.release();
    EXPECT_EQ(cached_block_bytes(), 0u);
  });
}

TEST(large_block_cache, never_holds_more_than_its_budget) {
  on_fresh_thread([] {
    {
      std::vector<byte_buffer> many(cached_blocks_max * 3);
      for (auto& buffer : many) buffer.reserve(batch_size);
    }
    EXPECT_LE(cached_block_bytes(), cached_bytes_max);
    EXPECT_GT(cached_block_bytes(), 0u);
    byte_buffer huge;
    huge.reserve(cached_bytes_max + 1);
    std::size_t before = cached_block_bytes();
    huge.release();
    EXPECT_EQ(cached_block_bytes(), before) << "a block over the whole budget is not kept";
  });
}

TEST(large_block_cache, does_not_hand_a_far_larger_block_to_a_small_buffer) {
  on_fresh_thread([] {
    byte_buffer big;
    big.reserve(6 << 20);
    const std::byte* block = block_of(big);
    big.release();
    byte_buffer smaller;
    smaller.reserve(large_block_min);
    EXPECT_NE(block_of(smaller), block);
    EXPECT_GE(cached_block_bytes(), std::size_t{6} << 20) << "the large block stays cached";
  });
}

TEST(large_block_cache, a_block_given_back_on_another_thread_goes_to_that_threads_cache) {
  on_fresh_thread([] {
    byte_buffer made_here;
    made_here.reserve(batch_size);
    std::size_t kept_there = 0;
    std::thread{[&] {
      byte_buffer there = std::move(made_here);
      there.release();
      kept_there = cached_block_bytes();
    }}.join();
    EXPECT_GE(kept_there, batch_size);
    EXPECT_EQ(cached_block_bytes(), 0u);
  });
}

}  // namespace
}  // namespace tr::transport::detail
