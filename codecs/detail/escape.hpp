#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tr::codecs::detail {

/// Characters that must be escaped in a JSON string: `"`, `\` and control characters.
inline constexpr std::array<bool, 256> json_special = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}();

/// Characters that must be replaced in XML text: `< & > " '`, CR and control characters.
inline constexpr std::array<bool, 256> xml_special = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = c != '\t' && c != '\n';
  table['<'] = table['&'] = table['>'] = table['"'] = table['\''] = true;
  return table;
}();

/// The longest run at the start of `text` without characters flagged in `table`.
inline std::size_t plain_prefix(std::string_view text, const std::array<bool, 256>& table) {
  std::size_t i = 0;
  while (i < text.size() && !table[static_cast<unsigned char>(text[i])]) ++i;
  return i;
}

/// The replacement of an XML special character.
inline std::string_view xml_replacement(char c) {
  switch (c) {
    case '<': return "&lt;";
    case '&': return "&amp;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&apos;";
    case '\r': return "&#13;";
    default: return "\xEF\xBF\xBD";  // U+FFFD for characters XML 1.0 cannot carry
  }
}

/// Appends `text` to a std::string unchanged.
struct plain_sink {
  std::string& out;
  void put(std::string_view text) { out.append(text); }
  void put(char c) { out.push_back(c); }
};

/// Appends `text` to a std::string XML-escaped (JSON carried inside an XML element).
struct xml_text_sink {
  std::string& out;
  void put(std::string_view text) {
    for (;;) {
      std::size_t n = plain_prefix(text, xml_special);
      out.append(text.data(), n);
      if (n == text.size()) return;
      out.append(xml_replacement(text[n]));
      text.remove_prefix(n + 1);
    }
  }
  void put(char c) { put(std::string_view(&c, 1)); }
};

/// Appends `text` JSON-escaped (without the quotes) to `sink`.
template <class Sink>
void put_json_escaped(Sink& sink, std::string_view text) {
  for (;;) {
    std::size_t n = plain_prefix(text, json_special);
    sink.put(text.substr(0, n));
    if (n == text.size()) return;
    unsigned char c = static_cast<unsigned char>(text[n]);
    switch (c) {
      case '"': sink.put("\\\""); break;
      case '\\': sink.put("\\\\"); break;
      case '\n': sink.put("\\n"); break;
      case '\r': sink.put("\\r"); break;
      case '\t': sink.put("\\t"); break;
      case '\b': sink.put("\\b"); break;
      case '\f': sink.put("\\f"); break;
      default: {
        char escape[6] = {'\\', 'u', '0', '0', "0123456789abcdef"[c >> 4],
                          "0123456789abcdef"[c & 0x0f]};
        sink.put(std::string_view(escape, 6));
      }
    }
    text.remove_prefix(n + 1);
  }
}

/// Appends `text` XML-escaped to `out`.
inline void put_xml_escaped(std::string& out, std::string_view text) { xml_text_sink{out}.put(text); }

}  // namespace tr::codecs::detail
