#include "codecs/encoders.hpp"

#include "codecs/detail/escape.hpp"
#include "codecs/detail/json_writer.hpp"
#include "codecs/detail/report_builder.hpp"

namespace tr::codecs {

namespace {

template <bool untyped>
void encode_json_document(const report& source, std::string& out) {
  auto nodes = source.nodes();
  if (nodes.empty()) return;
  out.append("{\"");
  out.append(nodes[0].key);
  out.append("\":");
  detail::json_writer<detail::plain_sink, untyped>(nodes, detail::plain_sink{out}).value(0);
  out.push_back('}');
}

/// Writes report nodes as XML elements.
class xml_writer {
 public:
  xml_writer(std::span<const node> nodes, std::string& out) : nodes_(nodes), out_(out) {}

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

 private:
  void element(std::uint32_t index, std::string_view name) {
    const node& n = nodes_[index];
    if (n.kind == node_kind::null) {
      out_.push_back('<');
      out_.append(name);
      out_.append("/>");
      return;
    }
    open(name);
    bool container = n.kind == node_kind::object || n.kind == node_kind::array;
    if (container && detail::is_free_form(name)) {
      detail::json_writer<detail::xml_text_sink, false>(nodes_, detail::xml_text_sink{out_}).value(index);
    } else if (n.kind == node_kind::object) {
      children(index);
    } else if (n.kind == node_kind::array) {
      for (std::uint32_t item = index + 1; item < n.end; item = nodes_[item].end) element(item, name);
    } else {
      detail::put_xml_escaped(out_, n.text);
    }
    close(name);
  }

  void open(std::string_view name) {
    out_.push_back('<');
    out_.append(name);
    out_.push_back('>');
  }

  void close(std::string_view name) {
    out_.append("</");
    out_.append(name);
    out_.push_back('>');
  }

  std::span<const node> nodes_;
  std::string& out_;
};

}  // namespace

std::string_view content_type(body_format format) {
  return format == body_format::xml ? "application/xml" : "application/json";
}

void encode_json(const report& source, std::string& out) { encode_json_document<false>(source, out); }

void encode_json_untyped(const report& source, std::string& out) {
  encode_json_document<true>(source, out);
}

void encode_xml(const report& source, std::string& out) {
  auto nodes = source.nodes();
  if (nodes.empty()) return;
  std::string_view root = nodes[0].key;
  out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?><");
  out.append(root);
  out.append(" xmlns=\"http://uri.actility.com/lora\">");
  xml_writer(nodes, out).children(0);
  out.append("</");
  out.append(root);
  out.push_back('>');
}

void encode(const report& source, body_format format, std::string& out) {
  switch (format) {
    case body_format::json: return encode_json(source, out);
    case body_format::json_untyped: return encode_json_untyped(source, out);
    case body_format::xml: return encode_xml(source, out);
  }
}

}  // namespace tr::codecs
