#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tr::codecs::detail {

/// True if `json` (a document stage 1 accepted) starts with '{' and holds no byte of 0x20 or
/// below and no backslash: no whitespace between tokens (control characters cannot appear in
/// valid JSON strings) and no escapes. Such a document is byte for byte what encode_json()
/// writes for it, so the encoder can copy it. Reads 16 bytes at a time, possibly up to 15 bytes
/// past the end (the report's copy has 64 bytes of padding after it).
inline bool is_compact_json(std::string_view json) {
  if (json.empty() || json[0] != '{') return false;
  const char* p = json.data();
  std::size_t left = json.size();
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i backslash = _mm_set1_epi8('\\');
  for (;;) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // byte <= 0x20 (unsigned) exactly when min(byte, 0x20) == byte.
    __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(bytes, space), bytes);
    __m128i escape = _mm_cmpeq_epi8(bytes, backslash);
    auto hits = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(low, escape)));
    if (left <= 16) return (hits & ((1u << left) - 1)) == 0;
    if (hits != 0) return false;
    p += 16;
    left -= 16;
  }
#else
  for (; left > 0; ++p, --left) {
    auto c = static_cast<unsigned char>(*p);
    if (c <= 0x20 || c == '\\') return false;
  }
  return true;
#endif
}

}  // namespace tr::codecs::detail
