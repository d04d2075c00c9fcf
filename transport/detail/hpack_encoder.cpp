#include "transport/detail/hpack_encoder.hpp"

#include <array>

namespace tr::transport::detail {

namespace {

constexpr std::size_t entry_overhead = 32;  // RFC 7541 §4.1
constexpr std::size_t our_max_table = 4096;

/// The names of the static table (RFC 7541 Appendix A); index = position + 1.
constexpr std::array<std::string_view, 61> static_names = {":authority",
                                                           ":method",
                                                           ":method",
                                                           ":path",
                                                           ":path",
                                                           ":scheme",
                                                           ":scheme",
                                                           ":status",
                                                           ":status",
                                                           ":status",
                                                           ":status",
                                                           ":status",
                                                           ":status",
                                                           ":status",
                                                           "accept-charset",
                                                           "accept-encoding",
                                                           "accept-language",
                                                           "accept-ranges",
                                                           "accept",
                                                           "access-control-allow-origin",
                                                           "age",
                                                           "allow",
                                                           "authorization",
                                                           "cache-control",
                                                           "content-disposition",
                                                           "content-encoding",
                                                           "content-language",
                                                           "content-length",
                                                           "content-location",
                                                           "content-range",
                                                           "content-type",
                                                           "cookie",
                                                           "date",
                                                           "etag",
                                                           "expect",
                                                           "expires",
                                                           "from",
                                                           "host",
                                                           "if-match",
                                                           "if-modified-since",
                                                           "if-none-match",
                                                           "if-range",
                                                           "if-unmodified-since",
                                                           "last-modified",
                                                           "link",
                                                           "location",
                                                           "max-forwards",
                                                           "proxy-authenticate",
                                                           "proxy-authorization",
                                                           "range",
                                                           "referer",
                                                           "refresh",
                                                           "retry-after",
                                                           "server",
                                                           "set-cookie",
                                                           "strict-transport-security",
                                                           "transfer-encoding",
                                                           "user-agent",
                                                           "via",
                                                           "www-authenticate"};

/// The static index of a name, 0 if none.
std::size_t static_name_index(std::string_view name) {
  for (std::size_t i = 0; i < static_names.size(); ++i) {
    if (static_names[i] == name) return i + 1;
  }
  return 0;
}

/// A complete static entry (name and value), 0 if none; only the ones requests use.
std::size_t static_field_index(std::string_view name, std::string_view value) {
  if (name == ":method") {
    if (value == "GET") return 2;
    if (value == "POST") return 3;
  } else if (name == ":path") {
    if (value == "/") return 4;
  } else if (name == ":scheme") {
    if (value == "http") return 6;
    if (value == "https") return 7;
  }
  return 0;
}

void raw_string(byte_buffer& out, std::string_view text) {
  hpack_integer(out, 0x00, 7, text.size());  // H = 0: no Huffman
  out.append(text);
}

}  // namespace

void hpack_integer(byte_buffer& out, std::uint8_t first, int prefix_bits, std::uint64_t value) {
  const std::uint64_t limit = (1u << prefix_bits) - 1;
  auto room = out.prepare(11);
  std::size_t at = 0;
  if (value < limit) {
    room[at++] = std::byte(first | value);
  } else {
    room[at++] = std::byte(first | limit);
    value -= limit;
    while (value >= 128) {
      room[at++] = std::byte((value & 0x7f) | 0x80);
      value >>= 7;
    }
    room[at++] = std::byte(value);
  }
  out.commit(at);
}

void hpack_encoder::set_peer_table_size(std::uint32_t size) {
  std::size_t wanted = size < our_max_table ? size : our_max_table;
  if (wanted == capacity_) return;
  if (!size_update_due_ || wanted < smallest_capacity_) smallest_capacity_ = wanted;
  capacity_ = wanted;
  evict_to(capacity_);
  size_update_due_ = true;
}

void hpack_encoder::begin(byte_buffer& out) {
  if (!size_update_due_) return;
  // Dynamic table size updates: the smallest size in between (the table was emptied to fit
  // it), then the one now in force.
  if (smallest_capacity_ < capacity_) hpack_integer(out, 0x20, 5, smallest_capacity_);
  hpack_integer(out, 0x20, 5, capacity_);
  size_update_due_ = false;
}

void hpack_encoder::add(byte_buffer& out, std::string_view name, std::string_view value, kind how) {
  if (std::size_t index = static_field_index(name, value)) {
    hpack_integer(out, 0x80, 7, index);  // indexed field
    return;
  }
  if (how == kind::may_repeat) {
    for (std::size_t i = 0; i < table_.size(); ++i) {
      if (table_[i].name == name && table_[i].value == value) {
        hpack_integer(out, 0x80, 7, 62 + i);
        return;
      }
    }
  }
  std::size_t size = name.size() + value.size() + entry_overhead;
  bool index_it = how == kind::may_repeat && size <= capacity_;
  std::size_t name_index = static_name_index(name);
  // Literal with incremental indexing (01, 6-bit prefix) or without indexing (0000, 4-bit).
  if (index_it) {
    hpack_integer(out, 0x40, 6, name_index);
  } else {
    hpack_integer(out, 0x00, 4, name_index);
  }
  if (name_index == 0) raw_string(out, name);
  raw_string(out, value);
  if (index_it) {
    evict_to(capacity_ - size);
    table_.push_front({std::string{name}, std::string{value}});
    used_ += size;
  }
}

void hpack_encoder::evict_to(std::size_t capacity) {
  while (used_ > capacity && !table_.empty()) {
    used_ -= table_.back().name.size() + table_.back().value.size() + entry_overhead;
    table_.pop_back();
  }
}

}  // namespace tr::transport::detail
