#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "transport/detail/byte_buffer.hpp"

namespace tr::transport::detail {

/// The HPACK encoder (RFC 7541) of our HTTP/2 client, shaped for requests that repeat most of
/// their fields: a field the table holds is one indexed byte; a new field that may repeat
/// (authority, content-type, custom headers) goes in as a literal with incremental indexing; a
/// field that changes every time (the path, content-length) is a literal without indexing, so
/// it never churns the table. Strings are sent raw: a Huffman pass costs more than the bytes
/// it saves on a loopback or LAN hop. The table never grows past the peer's
/// SETTINGS_HEADER_TABLE_SIZE (4,096 until it says otherwise).
class hpack_encoder {
 public:
  /// How a field is to be sent.
  enum class kind : std::uint8_t {
    may_repeat,  ///< index it (the table keeps it for the next requests)
    changes,     ///< literal without indexing
  };

  /// The peer's SETTINGS_HEADER_TABLE_SIZE changed: the next block starts with a size update
  /// (two when the size went below its final value in between, as RFC 7541 §4.2 asks).
  void set_peer_table_size(std::uint32_t size);

  /// Starts a header block (emits pending table size updates).
  void begin(byte_buffer& out);

  /// Appends one field; `name` must be lower case.
  void add(byte_buffer& out, std::string_view name, std::string_view value, kind how);

  /// Table bytes in use (RFC 7541 §4.1 accounting), for tests.
  std::size_t table_size() const { return used_; }

 private:
  struct entry {
    std::string name;
    std::string value;
  };

  void evict_to(std::size_t capacity);

  std::deque<entry> table_;  // front = newest = index 62
  std::size_t used_ = 0;
  std::size_t capacity_ = 4096;
  std::size_t smallest_capacity_ = 4096;  // the smallest since the last block
  bool size_update_due_ = false;
};

/// Appends `value` as an HPACK integer with an N-bit prefix; `first` holds the prefix's
/// high bits (the representation's pattern).
void hpack_integer(byte_buffer& out, std::uint8_t first, int prefix_bits, std::uint64_t value);

}  // namespace tr::transport::detail
