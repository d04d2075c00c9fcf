#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "codecs/detail/text_arena.hpp"

namespace tr::codecs {

namespace detail {
class report_builder;
}

/// The four report types an NS sends; the root key (JSON) or root element (XML) names it.
enum class report_type : std::uint8_t { uplink, downlink_sent, notification, location };

/// The root name of a report type, e.g. "DevEUI_uplink".
std::string_view to_string(report_type type);

/// Bounds that keep a hostile or broken peer from costing memory or time.
struct report_limits {
  static constexpr std::size_t max_document_bytes = 64 * 1024;  ///< whole body
  static constexpr std::size_t max_string_bytes = 4096;         ///< any one string or text
  static constexpr std::size_t max_payload_hex = 512;           ///< payload_hex (256 bytes)
  static constexpr std::size_t max_field_name = 64;             ///< any one field name
  static constexpr std::size_t max_depth = 32;                  ///< nesting of objects/arrays
  static constexpr std::size_t max_nodes = 4096;                ///< values in one report
};

/// The kind of a value in the report tree.
enum class node_kind : std::uint8_t { object, array, string, number, boolean, null };

/// One value of the report tree. Nodes are stored in pre-order: a container's children follow
/// it, and `end` is the index one past its last descendant, so the next sibling of node i is
/// nodes[nodes[i].end].
struct node {
  std::string_view key;   ///< field name; empty for array items
  std::string_view text;  ///< scalar text: unescaped string, a number's exact source text,
                          ///< "true"/"false", "null"; empty for containers
  std::uint32_t end = 0;  ///< index one past this node's subtree
  node_kind kind = node_kind::null;
  bool plain_json = false;  ///< key and text contain nothing JSON must escape (encoder shortcut)
};

/// The fields the uplink and downlink-sent tokens cover, as text exactly as in the body.
/// An absent field is empty (FPort then counts as "0" in a token).
struct token_fields {
  report_type type = report_type::uplink;  ///< which bodyElements rule applies
  std::string_view customer_id;            ///< CustomerID
  std::string_view dev_eui;                ///< DevEUI (case as sent)
  std::string_view fport;                  ///< FPort, decimal text
  std::string_view fcnt_up;                ///< FCntUp, decimal text
  std::string_view fcnt_dn;                ///< FCntDn, decimal text
  std::string_view payload_hex;            ///< payload_hex
};

/// A parsed NS report: the whole document as a tree that re-encodes without loss (numbers keep
/// their source text), plus quick access to the token fields. Every view points into storage the
/// report owns (a copy of the input and an arena for unescaped text), so a report stays valid
/// until it is parsed into again or destroyed. Reuse one report per caller: parsing clears its
/// storage without freeing it, so steady-state parsing does not allocate.
class report {
 public:
  report();
  ~report();
  report(report&&) noexcept;
  report& operator=(report&&) noexcept;
  report(const report&) = delete;
  report& operator=(const report&) = delete;

  /// The report type (root key).
  report_type type() const { return fields_.type; }

  /// The token fields.
  const token_fields& fields() const { return fields_; }

  /// The tree in pre-order; nodes()[0] is the report object (key = root name). Empty before the
  /// first successful parse.
  std::span<const node> nodes() const { return {nodes_.data(), node_count_}; }

  /// A direct field of the report object, or nullptr.
  const node* find(std::string_view key) const;

  /// Size in bytes of the body this report was parsed from.
  std::size_t source_size() const { return source_.size(); }

  /// The body this report was parsed from (the report's own copy).
  std::string_view source() const { return source_; }

  /// True when the body was JSON already in the form encode_json() writes: compact (no
  /// whitespace at all) and without escapes. encode_json() then copies it as it is.
  bool is_compact_json() const { return compact_json_; }

 private:
  friend class detail::report_builder;

  std::vector<node> nodes_;  // storage: only the first node_count_ are in use
  std::size_t node_count_ = 0;
  token_fields fields_;
  detail::text_arena arena_;
  std::string_view source_;  // the copy of the body
  bool compact_json_ = false;
};

}  // namespace tr::codecs
