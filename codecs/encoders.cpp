#include "codecs/encoders.hpp"

#include <charconv>

#include "codecs/detail/escape.hpp"
#include "codecs/detail/json_writer.hpp"
#include "codecs/detail/report_builder.hpp"

namespace tr::codecs {

namespace {

template <bool untyped>
void encode_json_document(const report& source, std::string& out) {
  auto nodes = source.nodes();
  if (nodes.empty()) return;
  detail::output writer(out);
  writer.put("{\"");
  writer.put(nodes[0].key);
  writer.put("\":");
  detail::json_writer<detail::output_sink, untyped>(nodes, detail::output_sink{writer}).value(0);
  writer.put('}');
}

constexpr std::string_view lost_uplinks_key = "LostUplinksAS";
constexpr std::string_view fcnt_up_key = "FCntUp";

/// Where the root object holds FCntUp and an NS-sent LostUplinksAS (0: absent), in one pass.
struct uplink_fields {
  std::uint32_t fcnt_up = 0;
  std::uint32_t lost_uplinks = 0;
};

uplink_fields find_uplink_fields(std::span<const node> nodes) {
  uplink_fields found;
  for (std::uint32_t child = 1; child < nodes[0].end; child = nodes[child].end) {
    auto key = nodes[child].key;
    if (key.size() == fcnt_up_key.size() && key == fcnt_up_key)
      found.fcnt_up = child;
    else if (key.size() == lost_uplinks_key.size() && key == lost_uplinks_key)
      found.lost_uplinks = child;
  }
  return found;
}

/// The root object's children as JSON, with `"LostUplinksAS":count` after FCntUp (or last) and
/// any LostUplinksAS of the source left out.
template <bool untyped>
void encode_json_uplink(std::span<const node> nodes, std::string_view count, std::string& out) {
  detail::output writer(out);
  detail::output_sink sink{writer};
  writer.put("{\"");
  writer.put(nodes[0].key);
  writer.put("\":{");
  detail::json_writer<detail::output_sink, untyped> json(nodes, sink);
  bool first = true;
  bool placed = false;
  auto put_lost = [&] {
    if (!first) writer.put(',');
    first = false;
    placed = true;
    writer.put(untyped ? std::string_view{"\"LostUplinksAS\":\""}
                       : std::string_view{"\"LostUplinksAS\":"});
    writer.put(count);
    if (untyped) writer.put('"');
  };
  for (std::uint32_t child = 1; child < nodes[0].end; child = nodes[child].end) {
    const node& n = nodes[child];
    if (n.key == lost_uplinks_key) continue;
    if (!first) writer.put(',');
    first = false;
    writer.put('"');
    if (n.plain_json)
      writer.put(n.key);
    else
      detail::put_json_escaped(sink, n.key);
    writer.put("\":");
    json.value(child);
    if (n.key == fcnt_up_key) put_lost();
  }
  if (!placed) put_lost();
  writer.put("}}");
}

/// Writes report nodes as XML elements.
class xml_writer {
 public:
  xml_writer(std::span<const node> nodes, detail::output& out) : nodes_(nodes), out_(out) {}

  /// Writes node `index` as the element(s) `name`: an array as one element per item.
  void field(std::uint32_t index, std::string_view name) {
    const node& n = nodes_[index];
    if (n.kind != node_kind::array) return element(index, name);
    for (std::uint32_t item = index + 1; item < n.end; item = nodes_[item].end) element(item, name);
  }

  /// Writes the children of object `index`, each as an element named after its key.
  void children(std::uint32_t index) {
    for (std::uint32_t child = index + 1; child < nodes_[index].end; child = nodes_[child].end) {
      field(child, nodes_[child].key);
    }
  }

  /// Writes the children of the root object with `<LostUplinksAS>count</LostUplinksAS>` after
  /// FCntUp (or last), leaving out any LostUplinksAS of the source.
  void children_with_lost_uplinks(std::string_view count) {
    bool placed = false;
    auto put_lost = [&] {
      placed = true;
      open(lost_uplinks_key);
      out_.put(count);
      close(lost_uplinks_key);
    };
    for (std::uint32_t child = 1; child < nodes_[0].end; child = nodes_[child].end) {
      if (nodes_[child].key == lost_uplinks_key) continue;
      field(child, nodes_[child].key);
      if (nodes_[child].key == fcnt_up_key) put_lost();
    }
    if (!placed) put_lost();
  }

 private:
  void element(std::uint32_t index, std::string_view name) {
    const node& n = nodes_[index];
    if (n.kind == node_kind::null) {
      out_.put('<');
      out_.put(name);
      out_.put("/>");
      return;
    }
    open(name);
    bool container = n.kind == node_kind::object || n.kind == node_kind::array;
    if (container && detail::is_free_form(name)) {
      detail::json_writer<detail::xml_text_sink, false>(nodes_, detail::xml_text_sink{out_})
          .value(index);
    } else if (n.kind == node_kind::object) {
      children(index);
    } else if (n.kind == node_kind::array) {
      for (std::uint32_t item = index + 1; item < n.end; item = nodes_[item].end)
        element(item, name);
    } else if (n.kind == node_kind::string) {
      detail::put_xml_escaped(out_, n.text);
    } else {
      out_.put(n.text);  // numbers and booleans have nothing to escape
    }
    close(name);
  }

  void open(std::string_view name) {
    out_.put('<');
    out_.put(name);
    out_.put('>');
  }

  void close(std::string_view name) {
    out_.put("</");
    out_.put(name);
    out_.put('>');
  }

  std::span<const node> nodes_;
  detail::output& out_;
};

}  // namespace

void append_json_escaped(std::string_view text, std::string& out) {
  detail::plain_sink sink{out};
  detail::put_json_escaped(sink, text);
}

std::string_view content_type(body_format format) {
  return format == body_format::xml ? "application/xml" : "application/json";
}

void encode_json(const report& source, std::string& out) {
  // A compact JSON body without escapes is already what the writer below would produce.
  if (source.is_compact_json()) {
    out.append(source.source());
    return;
  }
  encode_json_document<false>(source, out);
}

void encode_json_untyped(const report& source, std::string& out) {
  encode_json_document<true>(source, out);
}

void encode_xml(const report& source, std::string& out) {
  auto nodes = source.nodes();
  if (nodes.empty()) return;
  std::string_view root = nodes[0].key;
  detail::output writer(out);
  writer.put("<?xml version=\"1.0\" encoding=\"UTF-8\"?><");
  writer.put(root);
  writer.put(" xmlns=\"http://uri.actility.com/lora\">");
  xml_writer(nodes, writer).children(0);
  writer.put("</");
  writer.put(root);
  writer.put('>');
}

void encode_uplink(const report& source, body_format format, std::uint32_t lost_uplinks,
                   std::string& out) {
  auto nodes = source.nodes();
  if (nodes.empty() || source.type() != report_type::uplink) return encode(source, format, out);
  char digits[12];
  auto written = std::to_chars(digits, digits + sizeof digits, lost_uplinks).ptr;
  std::string_view count{digits, static_cast<std::size_t>(written - digits)};
  switch (format) {
    case body_format::json: {
      // The usual case, a compact body with FCntUp a number and no LostUplinksAS: the source
      // with the field spliced in after FCntUp's text.
      auto found = find_uplink_fields(nodes);
      auto fcnt = found.fcnt_up;
      auto body = source.source();
      if (source.is_compact_json() && fcnt != 0 && found.lost_uplinks == 0 &&
          nodes[fcnt].kind == node_kind::number && nodes[fcnt].text.data() > body.data() &&
          nodes[fcnt].text.data() + nodes[fcnt].text.size() <= body.data() + body.size()) {
        auto split =
            static_cast<std::size_t>(nodes[fcnt].text.data() + nodes[fcnt].text.size() - body.data());
        out.append(body.substr(0, split)).append(",\"LostUplinksAS\":").append(count);
        out.append(body.substr(split));
        return;
      }
      return encode_json_uplink<false>(nodes, count, out);
    }
    case body_format::json_untyped:
      return encode_json_uplink<true>(nodes, count, out);
    case body_format::xml: {
      detail::output writer(out);
      writer.put("<?xml version=\"1.0\" encoding=\"UTF-8\"?><");
      writer.put(nodes[0].key);
      writer.put(" xmlns=\"http://uri.actility.com/lora\">");
      xml_writer(nodes, writer).children_with_lost_uplinks(count);
      writer.put("</");
      writer.put(nodes[0].key);
      writer.put('>');
      return;
    }
  }
}

void encode(const report& source, body_format format, std::string& out) {
  switch (format) {
    case body_format::json:
      return encode_json(source, out);
    case body_format::json_untyped:
      return encode_json_untyped(source, out);
    case body_format::xml:
      return encode_xml(source, out);
  }
}

}  // namespace tr::codecs
