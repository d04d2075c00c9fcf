#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>

#include "transport/detail/large_block_cache.hpp"

namespace tr::transport::detail {

/// A reusable byte queue: append at the back, consume from the front. Capacity is kept across
/// uses, so a connection stops allocating once its buffers have reached their working size.
/// Growth does not zero the new bytes (a body of megabytes is written once, not twice). Large
/// blocks are recycled per thread (large_block_cache.hpp), so a body of megabytes does not pay
/// for fresh pages every time.
class byte_buffer {
 public:
  byte_buffer() = default;
  byte_buffer(const byte_buffer&) = delete;
  byte_buffer& operator=(const byte_buffer&) = delete;
  byte_buffer(byte_buffer&& other) noexcept { *this = std::move(other); }
  byte_buffer& operator=(byte_buffer&& other) noexcept {
    if (this != &other) {
      free_block(storage_, capacity_);
      storage_ = std::exchange(other.storage_, nullptr);
      capacity_ = std::exchange(other.capacity_, 0);
      begin_ = std::exchange(other.begin_, 0);
      end_ = std::exchange(other.end_, 0);
    }
    return *this;
  }
  ~byte_buffer() { free_block(storage_, capacity_); }

  /// The unread bytes.
  std::span<const std::byte> data() const { return {storage_ + begin_, end_ - begin_}; }
  std::span<std::byte> mutable_data() { return {storage_ + begin_, end_ - begin_}; }

  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }

  /// Drops the first `count` unread bytes.
  void consume(std::size_t count) {
    begin_ += count < size() ? count : size();
    if (begin_ == end_) begin_ = end_ = 0;
  }

  /// Keeps only the first `count` unread bytes.
  void truncate(std::size_t count) {
    if (count < size()) end_ = begin_ + count;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  /// Drops everything, keeping the capacity.
  void clear() { begin_ = end_ = 0; }

  /// Bytes allocated.
  std::size_t capacity() const { return capacity_; }

  /// Drops everything and gives the capacity back.
  void release() {
    free_block(storage_, capacity_);
    storage_ = nullptr;
    begin_ = end_ = capacity_ = 0;
  }

  /// Makes room for `count` more bytes at once (e.g. a body of announced length), so that
  /// appending them does not grow the buffer step by step.
  void reserve(std::size_t count) {
    if (capacity_ - end_ < count) make_room(count, true);
  }

  /// A writable tail of at least `count` bytes; commit() what was written.
  std::span<std::byte> prepare(std::size_t count) {
    if (capacity_ - end_ < count) make_room(count, false);
    return {storage_ + end_, capacity_ - end_};
  }

  /// Marks `count` bytes of the prepared tail as written.
  void commit(std::size_t count) { end_ += count; }

  void append(std::span<const std::byte> bytes) {
    if (bytes.empty()) return;
    std::memcpy(prepare(bytes.size()).data(), bytes.data(), bytes.size());
    end_ += bytes.size();
  }

  void append(std::string_view text) {
    append(std::span<const std::byte>{reinterpret_cast<const std::byte*>(text.data()), text.size()});
  }

 private:
  void make_room(std::size_t count, bool exact) {
    std::size_t used = size();
    if (begin_ > 0) {
      std::memmove(storage_, storage_ + begin_, used);
      begin_ = 0;
      end_ = used;
    }
    if (capacity_ - end_ < count) {
      std::size_t wanted = exact ? used + count : capacity_ * 2;
      if (wanted < used + count) wanted = used + count;
      if (wanted < 4096) wanted = 4096;
      std::byte* grown = allocate_block(wanted);  // not zeroed; `wanted` becomes its size
      if (used > 0) std::memcpy(grown, storage_, used);
      free_block(storage_, capacity_);
      storage_ = grown;
      capacity_ = wanted;
    }
  }

  std::byte* storage_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace tr::transport::detail
