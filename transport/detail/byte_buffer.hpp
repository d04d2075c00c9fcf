#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace tr::transport::detail {

/// A reusable byte queue: append at the back, consume from the front. Capacity is kept across
/// uses, so a connection stops allocating once its buffers have reached their working size.
class byte_buffer {
 public:
  /// The unread bytes.
  std::span<const std::byte> data() const { return {storage_.data() + begin_, end_ - begin_}; }
  std::span<std::byte> mutable_data() { return {storage_.data() + begin_, end_ - begin_}; }

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
  std::size_t capacity() const { return storage_.size(); }

  /// Drops everything and gives the capacity back.
  void release() {
    begin_ = end_ = 0;
    std::vector<std::byte>{}.swap(storage_);
  }

  /// A writable tail of at least `count` bytes; commit() what was written.
  std::span<std::byte> prepare(std::size_t count) {
    if (storage_.size() - end_ < count) make_room(count);
    return {storage_.data() + end_, storage_.size() - end_};
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
  void make_room(std::size_t count) {
    std::size_t used = size();
    if (begin_ > 0) {
      std::memmove(storage_.data(), storage_.data() + begin_, used);
      begin_ = 0;
      end_ = used;
    }
    if (storage_.size() - end_ < count) {
      std::size_t wanted = storage_.size() * 2;
      if (wanted < used + count) wanted = used + count;
      if (wanted < 4096) wanted = 4096;
      storage_.resize(wanted);
    }
  }

  std::vector<std::byte> storage_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace tr::transport::detail
