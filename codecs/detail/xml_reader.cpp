#include "codecs/detail/xml_reader.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace tr::codecs::detail {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool ends_name(char c) {
  return is_space(c) || c == '/' || c == '>' || c == '=' || c == '<' || c == '"' || c == '\'';
}

/// Keys that are arrays in the JSON encoding even with a single item.
bool is_known_array(std::string_view name) {
  return name == "Lrr";
}

/// Appends the UTF-8 encoding of code point `cp` (already validated).
char* put_utf8(char* out, std::uint32_t cp) {
  if (cp < 0x80) {
    *out++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out++ = static_cast<char>(0xc0 | (cp >> 6));
    *out++ = static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out++ = static_cast<char>(0xe0 | (cp >> 12));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out++ = static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out++ = static_cast<char>(0xf0 | (cp >> 18));
    *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out++ = static_cast<char>(0x80 | (cp & 0x3f));
  }
  return out;
}

class xml_reader {
 public:
  xml_reader(std::string_view xml, report_builder& builder, json_walker& json)
      : begin_(xml.data()),
        p_(xml.data()),
        end_(xml.data() + xml.size()),
        builder_(builder),
        json_(json) {}

  error document() {
    if (!simdjson::validate_utf8(begin_, static_cast<std::size_t>(end_ - begin_))) {
      return error(errc::malformed_xml, "malformed XML: invalid UTF-8");
    }
    if (starts_with("\xEF\xBB\xBF")) p_ += 3;
    if (starts_with("<?xml") && p_ + 5 < end_ && is_space(p_[5])) {
      const char* close = find("?>");
      if (close == nullptr) return malformed("unterminated XML declaration");
      p_ = close + 2;
    }
    if (auto e = misc(); !e.ok()) return e;
    if (p_ >= end_) return error(errc::empty_input, "empty XML document");
    if (*p_ != '<') return malformed("text before the root element");
    ++p_;
    std::string_view name;
    bool empty = false;
    if (auto e = start_tag(name, empty); !e.ok()) return e;
    report_type type;
    if (!parse_report_type(name, type)) {
      return error(errc::unknown_report_type, "unknown report type '", name.substr(0, 64), "'");
    }
    if (empty) {
      std::uint32_t index;
      builder_.push(node_kind::object, to_string(type), {}, index);
    } else if (auto e = content(name, to_string(type), 0, true); !e.ok()) {
      return e;
    }
    if (auto e = misc(); !e.ok()) return e;
    if (p_ != end_) return malformed("content after the root element");
    return {};
  }

 private:
  bool starts_with(std::string_view s) const {
    return static_cast<std::size_t>(end_ - p_) >= s.size() &&
           std::memcmp(p_, s.data(), s.size()) == 0;
  }

  const char* find(std::string_view s) const {
    auto it = std::search(p_, end_, s.begin(), s.end());
    return it == end_ ? nullptr : it;
  }

  error malformed(std::string_view what) const {
    char line[32];
    long n = 1 + std::count(begin_, std::min(p_, end_), '\n');
    std::snprintf(line, sizeof line, " (line %ld)", n);
    return error(errc::malformed_xml, "malformed XML: ", what, line);
  }

  /// Skips whitespace and comments; refuses DOCTYPE and processing instructions.
  error misc() {
    for (;;) {
      while (p_ < end_ && is_space(*p_)) ++p_;
      if (starts_with("<!--")) {
        if (auto e = comment(); !e.ok()) return e;
      } else if (starts_with("<!") || starts_with("<?")) {
        return malformed("DOCTYPE and processing instructions are not accepted");
      } else {
        return {};
      }
    }
  }

  error comment() {
    p_ += 4;
    const char* close = find("-->");
    if (close == nullptr) return malformed("unterminated comment");
    p_ = close + 3;
    return {};
  }

  std::string_view name() {
    const char* start = p_;
    while (p_ < end_ && !ends_name(*p_)) ++p_;
    return {start, static_cast<std::size_t>(p_ - start)};
  }

  /// Reads a start tag after its '<': the name, the attributes, and '>' or "/>".
  error start_tag(std::string_view& tag, bool& empty) {
    tag = name();
    if (tag.empty()) return malformed("missing element name");
    for (;;) {
      bool spaced = false;
      while (p_ < end_ && is_space(*p_)) {
        ++p_;
        spaced = true;
      }
      if (p_ >= end_) return malformed("truncated start tag");
      if (*p_ == '>') {
        ++p_;
        empty = false;
        return {};
      }
      if (*p_ == '/') {
        if (p_ + 1 >= end_ || p_[1] != '>') return malformed("bad empty-element tag");
        p_ += 2;
        empty = true;
        return {};
      }
      if (!spaced) return malformed("missing space before an attribute");
      if (name().empty()) return malformed("bad attribute");
      while (p_ < end_ && is_space(*p_)) ++p_;
      if (p_ >= end_ || *p_ != '=') return malformed("attribute without value");
      ++p_;
      while (p_ < end_ && is_space(*p_)) ++p_;
      if (p_ >= end_ || (*p_ != '"' && *p_ != '\'')) return malformed("unquoted attribute value");
      char quote = *p_++;
      while (p_ < end_ && *p_ != quote) {
        if (*p_ == '<') return malformed("'<' in an attribute value");
        ++p_;
      }
      if (p_ >= end_) return malformed("unterminated attribute value");
      ++p_;
    }
  }

  /// Reads the content of element `tag` (after its start tag) and its end tag, into a node
  /// named `key` (empty for an array item).
  error content(std::string_view tag, std::string_view key, std::size_t depth, bool is_root) {
    if (depth >= report_limits::max_depth) {
      return error(errc::document_too_complex, "XML nested more than 32 levels");
    }
    const char* content_start = p_;
    bool is_object = is_root;
    bool has_text = false;      // non-space text or CDATA seen
    bool needs_decode = false;  // entity, CR, comment or CDATA in the content
    std::uint32_t index = 0;
    if (is_object && !builder_.push(node_kind::object, key, {}, index)) {
      return report_builder::too_many_nodes();
    }
    std::uint32_t previous = 0;
    std::string_view previous_name;
    for (;;) {
      while (p_ < end_ && *p_ != '<') {
        char c = *p_++;
        if (!is_space(c)) has_text = true;
        if (c == '&' || c == '\r') needs_decode = true;
      }
      if (is_object && has_text) return malformed("text mixed with elements");
      if (p_ >= end_) return malformed("truncated document");
      if (starts_with("</")) {
        const char* content_end = p_;
        p_ += 2;
        if (name() != tag) return malformed("mismatched end tag");
        while (p_ < end_ && is_space(*p_)) ++p_;
        if (p_ >= end_ || *p_ != '>') return malformed("bad end tag");
        ++p_;
        if (is_object) {
          builder_.close(index);
          return {};
        }
        return leaf(tag, key, depth,
                    {content_start, static_cast<std::size_t>(content_end - content_start)},
                    needs_decode);
      }
      if (starts_with("<!--")) {
        if (auto e = comment(); !e.ok()) return e;
        needs_decode = true;
        continue;
      }
      if (starts_with("<![CDATA[")) {
        const char* close = find("]]>");
        if (close == nullptr) return malformed("unterminated CDATA section");
        p_ = close + 3;
        has_text = true;
        needs_decode = true;
        if (is_object) return malformed("text mixed with elements");
        continue;
      }
      if (starts_with("<!") || starts_with("<?")) {
        return malformed("DOCTYPE and processing instructions are not accepted");
      }
      if (!is_object) {
        if (has_text) return malformed("text mixed with elements");
        if (!builder_.push(node_kind::object, key, {}, index))
          return report_builder::too_many_nodes();
        is_object = true;
      }
      ++p_;
      if (auto e = child(previous, previous_name, depth); !e.ok()) return e;
    }
  }

  /// Reads one child element after its '<', grouping repeated names into an array.
  error child(std::uint32_t& previous, std::string_view& previous_name, std::size_t depth) {
    std::string_view tag;
    bool empty = false;
    if (auto e = start_tag(tag, empty); !e.ok()) return e;
    if (!is_plain_field_name(tag)) {
      return error(errc::invalid_field_name, "element name '", tag.substr(0, 64),
                   "' is not accepted");
    }
    bool repeated = tag == previous_name;
    if (repeated || is_known_array(tag)) {
      std::uint32_t array_index = previous;
      if (!repeated) {
        if (!builder_.push(node_kind::array, tag, {}, array_index))
          return report_builder::too_many_nodes();
      } else if (builder_.at(previous).kind != node_kind::array ||
                 builder_.at(previous).key != tag) {
        if (builder_.size() >= report_limits::max_nodes) return report_builder::too_many_nodes();
        builder_.wrap_in_array(previous, tag);
      }
      if (auto e = element(tag, {}, empty, depth + 2); !e.ok()) return e;
      builder_.close(array_index);
      previous = array_index;
    } else {
      previous = builder_.size();
      if (auto e = element(tag, tag, empty, depth + 1); !e.ok()) return e;
    }
    previous_name = tag;
    return {};
  }

  error element(std::string_view tag, std::string_view key, bool empty, std::size_t depth) {
    if (empty) return leaf(tag, key, depth, {}, false);
    return content(tag, key, depth, false);
  }

  error leaf(std::string_view tag, std::string_view key, std::size_t depth, std::string_view raw,
             bool needs_decode) {
    std::string_view text = raw;
    bool padded = false;
    if (needs_decode) {
      if (auto e = decode(raw, text); !e.ok()) return e;
      padded = true;
    }
    if (text.size() > report_limits::max_string_bytes) {
      return error(errc::field_too_large, "element '", tag.substr(0, 64), "' exceeds 4096 bytes");
    }
    if (is_free_form(tag) && !text.empty() && (text[0] == '{' || text[0] == '[')) {
      if (!padded) text = copy_padded(text);
      std::uint32_t mark = builder_.size();
      if (json_.walk_embedded(text, key, depth, builder_).ok()) return {};
      builder_.truncate(mark);  // not JSON after all: keep the text
    }
    std::uint32_t index;
    if (!builder_.push(node_kind::string, key, text, index))
      return report_builder::too_many_nodes();
    return {};
  }

  std::string_view copy_padded(std::string_view text) {
    char* out = builder_.arena().allocate(text.size() + json_padding);
    std::memcpy(out, text.data(), text.size());
    std::memset(out + text.size(), 0, json_padding);
    return {out, text.size()};
  }

  /// Decodes entity and character references, CDATA, comments and line ends of `raw` into the
  /// arena (followed by json_padding bytes). Decoding never grows the text.
  error decode(std::string_view raw, std::string_view& text) {
    char* const start = builder_.arena().allocate(raw.size() + json_padding);
    char* out = start;
    const char* in = raw.data();
    const char* const end = raw.data() + raw.size();
    while (in < end) {
      char c = *in;
      if (c == '<') {
        std::string_view rest(in, static_cast<std::size_t>(end - in));
        if (rest.starts_with("<!--")) {  // the close is searched after "<!--", as comment() does
          in += rest.find("-->", 4) + 3;
        } else {  // CDATA, already checked to be terminated
          std::size_t close = rest.find("]]>");
          for (const char* q = in + 9; q < in + close; ++q) {
            if (*q == '\r') {
              *out++ = '\n';
              if (q + 1 < in + close && q[1] == '\n') ++q;
            } else {
              *out++ = *q;
            }
          }
          in += close + 3;
        }
      } else if (c == '&') {
        if (auto e = reference(in, end, out); !e.ok()) return e;
      } else if (c == '\r') {
        *out++ = '\n';
        ++in;
        if (in < end && *in == '\n') ++in;
      } else {
        *out++ = c;
        ++in;
      }
    }
    std::memset(out, 0, json_padding);
    text = std::string_view(start, static_cast<std::size_t>(out - start));
    return {};
  }

  error reference(const char*& in, const char* end, char*& out) {
    const char* semicolon = static_cast<const char*>(
        std::memchr(in, ';', static_cast<std::size_t>(std::min<std::ptrdiff_t>(end - in, 12))));
    if (semicolon == nullptr) return malformed("bad entity reference");
    std::string_view ref(in + 1, static_cast<std::size_t>(semicolon - in - 1));
    in = semicolon + 1;
    if (ref == "lt") {
      *out++ = '<';
    } else if (ref == "gt") {
      *out++ = '>';
    } else if (ref == "amp") {
      *out++ = '&';
    } else if (ref == "quot") {
      *out++ = '"';
    } else if (ref == "apos") {
      *out++ = '\'';
    } else if (ref.size() >= 2 && ref[0] == '#') {
      bool hex = ref[1] == 'x';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty() || digits.size() > 7) return malformed("bad character reference");
      std::uint32_t cp = 0;
      for (char d : digits) {
        int v = hex ? hex_digit(d) : (d >= '0' && d <= '9' ? d - '0' : -1);
        if (v < 0) return malformed("bad character reference");
        cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
      }
      bool allowed = cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp < 0xd800) ||
                     (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
      if (!allowed) return malformed("character reference to a forbidden character");
      out = put_utf8(out, cp);
    } else {
      return malformed("unknown entity reference");
    }
    return {};
  }

  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  report_builder& builder_;
  json_walker& json_;
};

}  // namespace

error read_xml_report(std::string_view xml, report_builder& builder, json_walker& json) {
  return xml_reader(xml, builder, json).document();
}

}  // namespace tr::codecs::detail
