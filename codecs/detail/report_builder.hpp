#pragma once

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

  /// Appends a node; returns its index, or an error when the report holds too many nodes.
  bool push(node_kind kind, std::string_view key, std::string_view text, std::uint32_t& index);

  /// Sets the end of the container at `index` to the current node count.
  void close(std::uint32_t index) {
    report_.nodes_[index].end = static_cast<std::uint32_t>(report_.nodes_.size());
  }

  /// Inserts an array node named `key` before node `index` (which becomes its first item).
  /// Only valid while `index` is the last open child of its parent.
  void wrap_in_array(std::uint32_t index, std::string_view key);

  /// The node at `index`.
  node& at(std::uint32_t index) { return report_.nodes_[index]; }

  /// The number of nodes so far.
  std::uint32_t size() const { return static_cast<std::uint32_t>(report_.nodes_.size()); }

  /// The report's text arena.
  text_arena& arena() { return report_.arena_; }

  /// Validates the root and the token fields and fills report::fields().
  error finish();

  /// The error for exceeding max_nodes.
  static error too_many_nodes();

 private:
  report& report_;
};

/// True if `key` is usable as an XML element name here: [A-Za-z_][A-Za-z0-9_.-]*, bounded.
bool is_plain_field_name(std::string_view key);

/// True if `key` names a field carried as JSON text in XML (CustomerData, DriverCfg).
bool is_free_form(std::string_view key);

/// The report type named by a root key, or false.
bool parse_report_type(std::string_view name, report_type& type);

}  // namespace tr::codecs::detail
