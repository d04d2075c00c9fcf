#pragma once

#include <cstddef>

namespace tr::transport::detail {

/// Storage of byte_buffer: large blocks are recycled per thread.
///
/// A request body of megabytes (a 3 MB batch) used to get a fresh block each time: glibc maps
/// blocks that large anew (its mmap threshold follows the largest block freed, and a block of
/// exactly that size is still mapped), so every body paid its page faults again, or one fault
/// zeroing a 2 MiB huge page, plus the unmapping. On a virtual machine that was about a third of
/// the router's CPU per bad batch. Blocks of `large_block_min` bytes or more are rounded up to a
/// multiple of it and, when given back, kept in a small cache of the thread that gives them back
/// (at most `cached_blocks_max` blocks and `cached_bytes_max` bytes; the oldest go first), from
/// which the next large allocation of that thread takes the smallest block that fits and is not
/// far larger than asked (at most twice the size, or 1 MiB more). Rounding up costs no memory
/// until the bytes are written. Smaller blocks come from new[] and go back to delete[].
inline constexpr std::size_t large_block_min = 256 << 10;
inline constexpr std::size_t cached_blocks_max = 4;
inline constexpr std::size_t cached_bytes_max = 8 << 20;

/// A block of at least `size` bytes; `size` becomes the block's real size (rounded up when large).
std::byte* allocate_block(std::size_t& size);

/// Gives back a block from allocate_block() with the size it reported.
void free_block(std::byte* block, std::size_t size) noexcept;

/// Bytes held in the calling thread's cache.
std::size_t cached_block_bytes() noexcept;

}  // namespace tr::transport::detail
