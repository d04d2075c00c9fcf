#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "codecs/error.hpp"
#include "codecs/report.hpp"

namespace tr::codecs::detail {

/// Bytes simdjson may read past the end of a document.
inline constexpr std::size_t json_padding = 64;

/// Fills a report: the JSON walker and the XML reader share it. Enforces the node and depth
/// limits and, in finish(), validates the token fields.
class report_builder {
 public:
  explicit report_builder(report& target) : report_(target) {}

  /// Clears the report (keeping its storage) and copies `input` into it with padding after it.
  /// Returns the copy.
  std::string_view start(std::string_view input);

  /// Appends a node and sets `index` to it; false when the report holds max_nodes already.
  /// `plain_json`: key and text need no JSON escaping (see node::plain_json).
  bool push(node_kind kind, std::string_view key, std::string_view text, std::uint32_t& index,
            bool plain_json = false) {
    index = static_cast<std::uint32_t>(report_.node_count_);
    if (index == report_limits::max_nodes) return false;
    if (index == report_.nodes_.size()) grow();
    report_.nodes_[index] = node{key, text, index + 1, kind, plain_json};
    report_.node_count_ = index + 1;
    return true;
  }

  /// Makes room for `more` nodes after the current ones (no more than max_nodes in all, plus
  /// one that a caller may fill before it finds the limit reached) and returns the node
  /// storage, for a caller that writes nodes in place and then calls set_size(). Allocates
  /// only when the storage (kept across reports) must grow.
  node* reserve(std::size_t more);

  /// Sets the number of nodes written in place after reserve().
  void set_size(std::uint32_t count) { report_.node_count_ = count; }

  /// Sets the end of the container at `index` to the current node count.
  void close(std::uint32_t index) {
    report_.nodes_[index].end = static_cast<std::uint32_t>(report_.node_count_);
  }

  /// Inserts an array node named `key` before node `index` (which becomes its first item).
  /// Only valid while `index` is the last open child of its parent.
  void wrap_in_array(std::uint32_t index, std::string_view key);

  /// Drops the nodes from `count` on (a subtree that turned out invalid).
  void truncate(std::uint32_t count) { report_.node_count_ = count; }

  /// The node at `index`.
  node& at(std::uint32_t index) { return report_.nodes_[index]; }

  /// The number of nodes so far.
  std::uint32_t size() const { return static_cast<std::uint32_t>(report_.node_count_); }

  /// The report's text arena.
  text_arena& arena() { return report_.arena_; }

  /// Validates the root and the token fields and fills report::fields(). FPort, FCntUp and
  /// FCntDn given as strings ("17", as XML gives everything) become numbers in canonical
  /// decimal: the JSON encoding sends numbers as numbers (docs/protocol.md §2).
  error finish();

  /// Records whether the source is compact JSON (report::is_compact_json); call after a
  /// successful JSON parse.
  void mark_compact_json();

  /// The error for exceeding max_nodes.
  static error too_many_nodes();

 private:
  /// Enlarges the node storage (kept across reports), up to max_nodes.
  void grow();

  report& report_;
  bool retyped_ = false;  ///< finish() turned a string into a number: the source is not the output
};

/// Characters of a plain field name: 1 may start it, 2 may follow.
inline constexpr std::array<std::uint8_t, 256> field_name_chars = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = table[c + 32] = 3;
  table['_'] = 3;
  for (int c = '0'; c <= '9'; ++c) table[c] = 2;
  table['-'] = table['.'] = 2;
  return table;
}();

/// True if `key` is usable as an XML element name here: [A-Za-z_][A-Za-z0-9_.-]*, bounded.
inline bool is_plain_field_name(std::string_view key) {
  if (key.empty() || key.size() > report_limits::max_field_name) return false;
  if (!(field_name_chars[static_cast<unsigned char>(key[0])] & 1)) return false;
  for (char c : key) {
    if (field_name_chars[static_cast<unsigned char>(c)] == 0) return false;
  }
  return true;
}

/// True if `key` names a field carried as JSON text in XML (CustomerData, DriverCfg).
inline bool is_free_form(std::string_view key) {
  return (key.size() == 12 && key == "CustomerData") || (key.size() == 9 && key == "DriverCfg");
}

/// The report type named by a root key, or false.
bool parse_report_type(std::string_view name, report_type& type);

}  // namespace tr::codecs::detail
