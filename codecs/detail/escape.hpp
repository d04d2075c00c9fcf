#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "codecs/detail/output.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/// The longest run at the start of `text` without characters flagged in `table` (json_special
/// or xml_special). With SSE2 (every x86-64), whole 16-byte blocks are classified at once.
inline std::size_t plain_prefix(std::string_view text, const std::array<bool, 256>& table) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const bool xml = &table == &xml_special;
  for (; i + 16 <= text.size(); i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));
    __m128i special = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    if (xml) {
      control = _mm_andnot_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
                                 control);
      special = _mm_or_si128(special, _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
      special = _mm_or_si128(special, _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
      special = _mm_or_si128(special, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
      special = _mm_or_si128(special, _mm_cmpeq_epi8(v, _mm_set1_epi8('\'')));
    } else {
      special = _mm_or_si128(special, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    }
    if (int mask = _mm_movemask_epi8(_mm_or_si128(control, special)); mask != 0) {
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
  }
#endif
  while (i < text.size() && !table[static_cast<unsigned char>(text[i])]) ++i;
  return i;
}

/// The replacement of an XML special character.
inline std::string_view xml_replacement(char c) {
  switch (c) {
    case '<':
      return "&lt;";
    case '&':
      return "&amp;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&apos;";
    case '\r':
      return "&#13;";
    default:
      return "\xEF\xBF\xBD";  // U+FFFD for characters XML 1.0 cannot carry
  }
}

/// Appends text unchanged to a std::string.
struct plain_sink {
  std::string& out;
  void put(std::string_view text) { out.append(text); }
  void put(char c) { out.push_back(c); }
};

/// Writes text unchanged to an output.
struct output_sink {
  output& out;
  void put(std::string_view text) { out.put(text); }
  void put(char c) { out.put(c); }
};

/// Writes `text` XML-escaped.
inline void put_xml_escaped(output& out, std::string_view text) {
  for (;;) {
    std::size_t n = plain_prefix(text, xml_special);
    out.put(text.substr(0, n));
    if (n == text.size()) return;
    out.put(xml_replacement(text[n]));
    text.remove_prefix(n + 1);
  }
}

/// Writes text XML-escaped (JSON carried inside an XML element).
struct xml_text_sink {
  output& out;
  void put(std::string_view text) { put_xml_escaped(out, text); }
  void put(char c) {
    if (xml_special[static_cast<unsigned char>(c)]) {
      out.put(xml_replacement(c));
    } else {
      out.put(c);
    }
  }
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
      case '"':
        sink.put("\\\"");
        break;
      case '\\':
        sink.put("\\\\");
        break;
      case '\n':
        sink.put("\\n");
        break;
      case '\r':
        sink.put("\\r");
        break;
      case '\t':
        sink.put("\\t");
        break;
      case '\b':
        sink.put("\\b");
        break;
      case '\f':
        sink.put("\\f");
        break;
      default: {
        char escape[6] = {
            '\\', 'u', '0', '0', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 0x0f]};
        sink.put(std::string_view(escape, 6));
      }
    }
    text.remove_prefix(n + 1);
  }
}

}  // namespace tr::codecs::detail
