#include "codecs/detail/json_walker.hpp"

#include <simdjson.h>

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdexcept>

namespace tr::codecs::detail {

namespace {

error json_error(simdjson::error_code code) {
  switch (code) {
    case simdjson::UNCLOSED_STRING:
      return error(errc::malformed_json, "malformed JSON: unclosed string");
    case simdjson::UNESCAPED_CHARS:
      return error(errc::malformed_json, "malformed JSON: unescaped control character in a string");
    case simdjson::UTF8_ERROR:
      return error(errc::malformed_json, "malformed JSON: invalid UTF-8");
    case simdjson::EMPTY:
      return error(errc::empty_input, "empty body");
    default:
      return error(errc::malformed_json, "malformed JSON: ", simdjson::error_message(code));
  }
}

error malformed(std::string_view what) {
  return error(errc::malformed_json, "malformed JSON: ", what);
}

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/// True if `text` holds a backslash. Reads 8 bytes at a time, possibly past the end of `text`
/// but never past the input's padding (every string lies inside the padded input).
bool has_backslash(std::string_view text) {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    std::uint64_t x = word ^ (ones * '\\');
    std::uint64_t zero_bytes = (x - ones) & ~x & highs;  // high bit set where a byte was '\\'
    if (left < 8) zero_bytes &= (1ull << (8 * left)) - 1;
    if (zero_bytes != 0) return true;
    p += 8;
    left = left < 8 ? 0 : left - 8;
  }
  return false;
}

/// is_plain_field_name for a name inside the padded input: may read 15 bytes past its end.
/// With SSE2 (every x86-64) it classifies 16 bytes at a time.
bool is_plain_name_in_input(std::string_view name) {
#if defined(__SSE2__)
  if (name.empty() || name.size() > report_limits::max_field_name) return false;
  if (!(field_name_chars[static_cast<unsigned char>(name[0])] & 1)) return false;
  const char* p = name.data();
  std::size_t left = name.size();
  for (;;) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Bytes >= 0x80 are negative as signed chars and fail every range below.
    __m128i lower = _mm_or_si128(bytes, _mm_set1_epi8(0x20));
    __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                   _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8('0' - 1)),
                                  _mm_cmplt_epi8(bytes, _mm_set1_epi8('9' + 1)));
    __m128i other = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('_')),
                                              _mm_cmpeq_epi8(bytes, _mm_set1_epi8('-'))),
                                 _mm_cmpeq_epi8(bytes, _mm_set1_epi8('.')));
    auto ok =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), other)));
    if (left <= 16) {
      unsigned wanted = (1u << left) - 1;
      return (ok & wanted) == wanted;
    }
    if (ok != 0xffff) return false;
    p += 16;
    left -= 16;
  }
#else
  return is_plain_field_name(name);
#endif
}

/// Recursive descent over simdjson's structural index: each entry is the offset of a
/// structural character or of a token's first byte, and the entry after the last one is the
/// input length, where a zero padding byte stops every rule. The rules return false on error
/// and leave the error in failure().
class walker {
 public:
  walker(std::string_view json, const simdjson::internal::dom_parser_implementation& stage1,
         report_builder& builder)
      : text_(json.data()),
        cursor_(stage1.structural_indexes.get()),
        end_(stage1.structural_indexes.get() + stage1.n_structural_indexes),
        // One vectorized scan of the whole document saves a check per string in the usual case.
        has_escapes_(std::memchr(json.data(), '\\', json.size()) != nullptr),
        stage1_(stage1),
        builder_(builder) {}

  /// The first byte of the current token.
  char current() const { return text_[*cursor_]; }

  /// True when every token has been consumed.
  bool at_end() const { return cursor_ == end_; }

  /// The error of the last rule that returned false.
  const error& failure() const { return failure_; }

  // Inlined into object() and array() so that a scalar costs no call.
  /// `raw_key`: the key is the input's text (no escapes), so JSON needs no escaping for it.
  [[gnu::always_inline]] bool value(std::string_view key, std::size_t depth, bool free_form,
                                    bool raw_key) {
    switch (current()) {
      case '{':
        return object(key, depth, free_form, raw_key);
      case '[':
        return array(key, depth, free_form, raw_key);
      case '"': {
        std::string_view text;
        bool raw_text = true;
        if (!string(text, raw_text)) return false;
        if (text.size() > report_limits::max_string_bytes) return too_large(key);
        return push_scalar(node_kind::string, key, text, raw_key && raw_text);
      }
      case 't':
      case 'f':
      case 'n': {
        std::string_view token = scalar_token();
        if (token == "true" || token == "false") {
          return push_scalar(node_kind::boolean, key, token, raw_key);
        }
        if (token == "null") return push_scalar(node_kind::null, key, token, raw_key);
        return malformed("bad literal");
      }
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9': {
        std::string_view token = scalar_token();
        if (!is_json_number(token)) return malformed("bad number");
        if (token.size() > report_limits::max_string_bytes) return too_large(key);
        return push_scalar(node_kind::number, key, token, raw_key);
      }
      case '\0':
        return malformed("truncated document");
      default:
        return malformed("expected a value");
    }
  }

  /// `free_form`: inside CustomerData or DriverCfg, where any field name goes.
  bool object(std::string_view key, std::size_t depth, bool free_form, bool raw_key) {
    if (depth >= report_limits::max_depth) return too_deep();
    free_form = free_form || is_free_form(key);
    std::uint32_t index;
    if (!push(node_kind::object, key, {}, index, raw_key)) return false;
    ++cursor_;
    if (current() == '}') {
      ++cursor_;
      return true;
    }
    for (;;) {
      if (current() != '"') return expected("a field name");
      std::string_view name;
      bool raw_name = true;
      if (!field_name(name, free_form, raw_name)) return false;
      if (current() != ':') return expected("':'");
      ++cursor_;
      if (!value(name, depth + 1, free_form, raw_name)) return false;
      char next = current();
      ++cursor_;
      if (next == ',') continue;
      if (next == '}') break;
      --cursor_;
      return expected("',' or '}'");
    }
    builder_.close(index);
    return true;
  }

  bool array(std::string_view key, std::size_t depth, bool free_form, bool raw_key) {
    if (depth >= report_limits::max_depth) return too_deep();
    free_form = free_form || is_free_form(key);
    std::uint32_t index;
    if (!push(node_kind::array, key, {}, index, raw_key)) return false;
    ++cursor_;
    if (current() == ']') {
      ++cursor_;
      return true;
    }
    for (;;) {
      if (!value({}, depth + 1, free_form, true)) return false;
      char next = current();
      ++cursor_;
      if (next == ',') continue;
      if (next == ']') break;
      --cursor_;
      return expected("',' or ']'");
    }
    builder_.close(index);
    return true;
  }

  /// The report's root: `{"<report type>": {...}}` and nothing after it.
  bool report() {
    if (current() != '{') return fail(error(errc::wrong_root, "root must be a JSON object"));
    ++cursor_;
    if (current() == '}') return fail(error(errc::wrong_root, "root object holds no report"));
    if (current() != '"') return expected("a field name");
    std::string_view name;
    bool raw_name = true;
    if (!string(name, raw_name)) return false;
    report_type type;
    if (!parse_report_type(name, type)) {
      return fail(
          error(errc::unknown_report_type, "unknown report type '", name.substr(0, 64), "'"));
    }
    if (current() != ':') return expected("':'");
    ++cursor_;
    if (current() != '{') {
      if (current() == '\0') return malformed("truncated document");
      return fail(error(errc::wrong_root, to_string(type), " must be an object"));
    }
    if (!object(to_string(type), 0, false, true)) return false;
    if (current() == ',') return fail(error(errc::wrong_root, "root must hold exactly one report"));
    if (current() != '}') return expected("'}'");
    ++cursor_;
    if (!at_end()) return malformed("trailing content after the report");
    return true;
  }

 private:
  /// The current scalar token without the whitespace before the next one; advances.
  std::string_view scalar_token() {
    const char* start = text_ + cursor_[0];
    const char* end = text_ + cursor_[1];
    ++cursor_;
    // Whitespace is at most ' '; a token's last byte almost never is.
    while (end > start && static_cast<unsigned char>(end[-1]) <= ' ' && is_space(end[-1])) --end;
    return {start, static_cast<std::size_t>(end - start)};
  }

  /// The current string, unescaped (a view into the input unless it has escapes); advances.
  /// `raw` becomes false when the text was unescaped. A raw string holds nothing JSON must
  /// escape: stage 1 refuses control characters and a raw `"` would have ended it.
  bool string(std::string_view& text, bool& raw) {
    std::string_view token = scalar_token();
    if (token.size() < 2 || token.back() != '"') return malformed("bad string");
    text = token.substr(1, token.size() - 2);
    if (has_escapes_ && has_backslash(text)) {
      raw = false;
      return unescape(text);
    }
    return true;
  }

  bool field_name(std::string_view& name, bool free_form, bool& raw) {
    std::string_view token = scalar_token();
    if (token.size() < 2 || token.back() != '"') return malformed("bad string");
    name = token.substr(1, token.size() - 2);
    if (!free_form && is_plain_name_in_input(name)) return true;  // the usual case: no escapes
    if (has_escapes_ && has_backslash(name)) {
      raw = false;
      if (!unescape(name)) return false;
    }
    if (!free_form && !is_plain_field_name(name)) {
      return fail(error(errc::invalid_field_name, "field name '", name.substr(0, 64),
                        "' is not usable as an XML element name"));
    }
    return true;
  }

  /// Unescapes `text` (the inside of a string token) into the arena with simdjson's kernel.
  bool unescape(std::string_view& text) {
    auto* out = reinterpret_cast<std::uint8_t*>(
        builder_.arena().allocate(text.size() + simdjson::SIMDJSON_PADDING));
    const auto* in = reinterpret_cast<const std::uint8_t*>(text.data());
    std::uint8_t* end = stage1_.parse_string(in, out);
    if (end == nullptr) return malformed("bad escape in a string");
    text =
        std::string_view(reinterpret_cast<const char*>(out), static_cast<std::size_t>(end - out));
    return true;
  }

  bool push(node_kind kind, std::string_view key, std::string_view text, std::uint32_t& index,
            bool plain_json) {
    if (builder_.push(kind, key, text, index, plain_json)) return true;
    return fail(report_builder::too_many_nodes());
  }

  bool push_scalar(node_kind kind, std::string_view key, std::string_view text, bool plain_json) {
    std::uint32_t index;
    return push(kind, key, text, index, plain_json);
  }

  bool fail(const error& e) {
    failure_ = e;
    return false;
  }

  bool malformed(std::string_view what) {
    return fail(error(errc::malformed_json, "malformed JSON: ", what));
  }

  bool expected(std::string_view what) {
    if (current() == '\0') return malformed("truncated document");
    return fail(error(errc::malformed_json, "malformed JSON: expected ", what));
  }

  bool too_deep() {
    return fail(error(errc::document_too_complex, "JSON nested more than 32 levels"));
  }

  bool too_large(std::string_view key) {
    return fail(error(errc::field_too_large, "field '", key.substr(0, 64), "' exceeds 4096 bytes"));
  }

  const char* text_;
  const std::uint32_t* cursor_;
  const std::uint32_t* end_;
  bool has_escapes_;
  const simdjson::internal::dom_parser_implementation& stage1_;
  report_builder& builder_;
  error failure_;
};

}  // namespace

json_walker::json_walker() {
  auto code = simdjson::get_active_implementation()->create_dom_parser_implementation(
      report_limits::max_document_bytes, report_limits::max_depth + 2, stage1_);
  if (code != simdjson::SUCCESS) throw std::runtime_error(simdjson::error_message(code));
}

json_walker::~json_walker() = default;

error json_walker::walk_report(std::string_view json, report_builder& builder) {
  auto code = stage1_->stage1(reinterpret_cast<const std::uint8_t*>(json.data()), json.size(),
                              simdjson::stage1_mode::regular);
  if (code != simdjson::SUCCESS) return json_error(code);
  if (stage1_->n_structural_indexes == 0) return error(errc::empty_input, "empty body");
  walker walk(json, *stage1_, builder);
  if (!walk.report()) return walk.failure();
  return {};
}

error json_walker::walk_embedded(std::string_view json, std::string_view key, std::size_t depth,
                                 report_builder& builder) {
  auto code = stage1_->stage1(reinterpret_cast<const std::uint8_t*>(json.data()), json.size(),
                              simdjson::stage1_mode::regular);
  if (code != simdjson::SUCCESS) return json_error(code);
  walker walk(json, *stage1_, builder);
  if (walk.current() != '{' && walk.current() != '[')
    return malformed("expected an object or array");
  if (!walk.value(key, depth, true, false)) return walk.failure();
  if (!walk.at_end()) return malformed("trailing content");
  return {};
}

bool is_json_number(std::string_view text) {
  auto digit = [](const char* p) { return static_cast<unsigned>(*p - '0') < 10; };
  const char* p = text.data();
  const char* const end = p + text.size();
  if (p != end && *p == '-') ++p;
  if (p == end) return false;
  if (*p == '0') {
    ++p;
  } else if (digit(p)) {
    do ++p;
    while (p != end && digit(p));
  } else {
    return false;
  }
  if (p != end && *p == '.') {
    if (++p == end || !digit(p)) return false;
    do ++p;
    while (p != end && digit(p));
  }
  if (p != end && (*p == 'e' || *p == 'E')) {
    if (++p != end && (*p == '+' || *p == '-')) ++p;
    if (p == end || !digit(p)) return false;
    do ++p;
    while (p != end && digit(p));
  }
  return p == end;
}

}  // namespace tr::codecs::detail
