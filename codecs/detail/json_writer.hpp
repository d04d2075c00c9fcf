#pragma once

#include <span>
#include <string_view>

#include "codecs/detail/escape.hpp"
#include "codecs/report.hpp"

namespace tr::codecs::detail {

/// Writes report nodes as compact JSON into a sink; `untyped` renders every scalar as a string.
template <class Sink, bool untyped>
class json_writer {
 public:
  json_writer(std::span<const node> nodes, Sink sink) : nodes_(nodes), sink_(sink) {}

  /// Writes node `index` and its subtree (without its key).
  void value(std::uint32_t index) {
    const node& n = nodes_[index];
    switch (n.kind) {
      case node_kind::object:
        sink_.put('{');
        for (std::uint32_t child = index + 1; child < n.end; child = nodes_[child].end) {
          if (child != index + 1) sink_.put(',');
          sink_.put('"');
          if (nodes_[child].plain_json) {
            sink_.put(nodes_[child].key);
          } else {
            put_json_escaped(sink_, nodes_[child].key);
          }
          sink_.put("\":");
          value(child);
        }
        sink_.put('}');
        return;
      case node_kind::array:
        sink_.put('[');
        for (std::uint32_t child = index + 1; child < n.end; child = nodes_[child].end) {
          if (child != index + 1) sink_.put(',');
          value(child);
        }
        sink_.put(']');
        return;
      case node_kind::string:
        sink_.put('"');
        if (n.plain_json) {
          sink_.put(n.text);
        } else {
          put_json_escaped(sink_, n.text);
        }
        sink_.put('"');
        return;
      case node_kind::number:
      case node_kind::boolean:
        if constexpr (untyped) {
          sink_.put('"');
          sink_.put(n.text);
          sink_.put('"');
        } else {
          sink_.put(n.text);
        }
        return;
      case node_kind::null:
        sink_.put(untyped ? std::string_view("\"\"") : std::string_view("null"));
        return;
    }
  }

 private:
  std::span<const node> nodes_;
  Sink sink_;
};

}  // namespace tr::codecs::detail
