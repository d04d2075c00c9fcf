#include "codecs/detail/json_walker.hpp"

#include <simdjson.h>

#include <array>
#include <bit>
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

#if defined(__SSE2__)
/// 0xff in each byte of `bytes` that lies in [low, high], else 0. Moving `low` to -128 turns
/// the range check into one signed comparison (bytes >= 0x80 included).
inline __m128i in_range(__m128i bytes, char low, char high) {
  __m128i moved = _mm_add_epi8(bytes, _mm_set1_epi8(static_cast<char>(0x80 - low)));
  return _mm_cmplt_epi8(moved, _mm_set1_epi8(static_cast<char>(-128 + (high - low) + 1)));
}

inline __m128i load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

/// Bit i set when byte i of `bytes` may be part of a plain field name at its place; with
/// `first_block`, byte 0 must be able to start one. Each term below is zero where a byte is in
/// its class (saturating subtraction turns a range check into a test for zero).
inline unsigned plain_name_bytes(__m128i bytes, bool first_block) {
  __m128i not_letter =
      _mm_subs_epu8(_mm_sub_epi8(_mm_or_si128(bytes, _mm_set1_epi8(0x20)), _mm_set1_epi8('a')),
                    _mm_set1_epi8('z' - 'a'));
  __m128i not_underscore = _mm_xor_si128(bytes, _mm_set1_epi8('_'));
  // '-', '.', '/' and the digits are 0x2d..0x39; '/' is taken out below. None starts a name.
  __m128i not_other =
      _mm_subs_epu8(_mm_sub_epi8(bytes, _mm_set1_epi8('-')), _mm_set1_epi8('9' - '-'));
  if (first_block) {
    not_other =
        _mm_or_si128(not_other, _mm_setr_epi8(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  }
  __m128i not_plain = _mm_min_epu8(_mm_min_epu8(not_letter, not_underscore), not_other);
  not_plain = _mm_max_epu8(not_plain, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('/')));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(not_plain, _mm_setzero_si128())));
}

/// is_plain_name_in_input for a name of 17 to 64 bytes whose first 16 bytes classify as
/// `first_plain`.
[[gnu::noinline]] bool is_long_plain_name_in_input(std::string_view name, unsigned first_plain) {
  if (first_plain != 0xffff) return false;
  const char* p = name.data() + 16;
  std::size_t left = name.size() - 16;
  unsigned plain = plain_name_bytes(load16(p), false);
  while (left > 16) {
    if (plain != 0xffff) return false;
    p += 16;
    left -= 16;
    plain = plain_name_bytes(load16(p), false);
  }
  return static_cast<std::size_t>(__builtin_ctz(~plain)) == left;
}
#endif

/// is_plain_field_name for a name inside the padded input, followed there by its closing
/// quote: may read 15 bytes past its end. With SSE2 (every x86-64) it classifies 16 bytes at a
/// time and compares the run of name bytes, which the quote ends, with the name's length (were
/// a name byte to follow, the answer would be a false "no", never a false "yes").
[[gnu::always_inline]] inline bool is_plain_name_in_input(std::string_view name) {
#if defined(__SSE2__)
  if (name.size() - 1 >= report_limits::max_field_name) return false;  // empty or too long
  unsigned plain = plain_name_bytes(load16(name.data()), true);
  if (name.size() > 16) [[unlikely]] {
    return is_long_plain_name_in_input(name, plain);
  }
  // ~plain has bits 16 and up set, so the run is at most 16.
  return static_cast<std::size_t>(__builtin_ctz(~plain)) == name.size();
#else
  return is_plain_field_name(name);
#endif
}

/// `":` as two bytes read at once.
constexpr auto quote_colon = std::bit_cast<std::uint16_t>(std::array<char, 2>{'"', ':'});

/// True if `c` may start a number: '-' or a digit. One bit test: as comparisons, the compiler
/// would merge it with the tests for the rarer kinds of value into one longer decision tree.
inline bool starts_number(char c) {
  constexpr std::uint64_t starts = 1ull << '-' | 0x3ffull << '0';
  return static_cast<unsigned char>(c) < 64 && (starts >> c & 1) != 0;
}

/// True if `token`, which starts with '-' or a digit (inside the padded input: may read 15
/// bytes past its end), is a JSON number of the usual shape: up to 16 bytes and no exponent.
/// False leaves the question to is_json_number. With SSE2 it classifies the 16 bytes at once.
bool is_usual_number_in_input(std::string_view token) {
  // One or two bytes (counts, ports, flags) need no classification: the caller saw a digit or
  // '-' first.
  if (token.size() == 1) return token[0] != '-';
  if (token.size() == 2) return static_cast<unsigned char>(token[1] - '0') < 10 && token[0] != '0';
#if defined(__SSE2__)
  if (token.size() > 16) return false;
  __m128i bytes = load16(token.data());
  unsigned in_token = (1u << token.size()) - 1;
  unsigned digits = static_cast<unsigned>(_mm_movemask_epi8(in_range(bytes, '0', '9')));
  unsigned dots =
      static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('.'))));
  digits &= in_token;
  dots &= in_token;
  unsigned minus = token[0] == '-' ? 1u : 0u;  // also the position of the first digit
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?: digits but for a leading '-' and at most one '.', a digit
  // first, no '.' last, and a leading 0 not followed by a digit.
  return (digits | dots | minus) == in_token && (dots & (dots - 1)) == 0 &&
         (digits >> minus & 1) != 0 && (dots & ~(in_token >> 1)) == 0 &&
         !(token[minus] == '0' && (digits >> (minus + 1) & 1) != 0);
#else
  return false;
#endif
}

/// A walk over simdjson's structural index: each entry is the offset of a structural
/// character or of a token's first byte, and the entry after the last one is the input length,
/// where a zero padding byte stops every rule. The rules return false on error and leave the
/// error in failure().
///
/// container() walks an object or array with a stack of open containers rather than by
/// recursion, so that the cursor, the text and the node count stay in registers while it writes
/// nodes in place (storage for one node per structural index is reserved up front). It takes
/// the shapes of compact JSON (`"name":` with a plain name, a token that ends right before the
/// next structural character, a number of up to 16 bytes without exponent) on fast paths, which
/// accept only what the general rules below accept, and leaves everything else, including every
/// error, to those rules.
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
        builder_(builder),
        nodes_(builder.reserve(stage1.n_structural_indexes)) {}

  /// The first byte of the current token.
  char current() const { return text_[*cursor_]; }

  /// True when every token has been consumed.
  bool at_end() const { return cursor_ == end_; }

  /// The error of the last rule that returned false.
  const error& failure() const { return failure_; }

  /// Walks the object or array at the cursor and everything in it into nodes.
  /// `free_form`: inside CustomerData or DriverCfg, where any field name goes.
  /// `raw_key`: the key is the input's text (no escapes), so JSON needs no escaping for it.
  bool container(std::string_view key, std::size_t depth, bool free_form, bool raw_key) {
    // The containers open in this walk, innermost last, each with the state of its parent.
    struct open_container {
      node* container;
      bool parent_is_object;
      bool parent_free_form;
    };
    open_container open[report_limits::max_depth];
    std::size_t open_count = 0;
    const char* const text = text_;
    const bool has_escapes = has_escapes_;
    const std::uint32_t* at = cursor_;
    std::uint32_t count = builder_.size();
    node* item = nodes_ + count;  // node `count`, the next one
    bool in_object = false;       // the innermost open container is an object (else an array)
    // Opens the container at `at` as node `count`, whose key is set; false (with `at` past it)
    // if it is empty.
    auto open_at = [&](bool raw_name) {
      bool is_object = text[*at] == '{';
      node& n = *item++;
      n.text = {};
      n.end = count + 1;
      n.kind = is_object ? node_kind::object : node_kind::array;
      n.plain_json = raw_name;
      ++count;
      ++at;
      if (text[*at] == (is_object ? '}' : ']')) {
        ++at;
        return false;
      }
      open[open_count++] = {&n, in_object, free_form};
      in_object = is_object;
      free_form = free_form || is_free_form(n.key);
      return true;
    };
    if (depth >= report_limits::max_depth) return stop(at, count, too_deep());
    if (count == report_limits::max_nodes) return stop(at, count, too_many_nodes());
    item->key = key;
    if (!open_at(raw_key)) return stop(at, count, true);
    for (;;) {
      // An item of the innermost open container starts at *at. Its node is filled as it is
      // read and counted once it is valid (the storage has room for one node beyond the limit).
      bool raw_item_key = true;
      if (!in_object) {
        item->key = {};
      } else {
        std::uint32_t name_start = at[0];
        if (text[name_start] != '"') [[unlikely]] {
          return stop(at, count, expected_at(at, "a field name"));
        }
        // The usual `"name":` with a plain name (or any name without escapes where any goes).
        std::uint32_t colon = at[1];
        std::uint16_t before_colon;
        std::memcpy(&before_colon, text + colon - 1, 2);
        std::string_view name{text + name_start + 1, colon - name_start - 2};
        // (A plain name has 1 to 64 bytes, which also rules out a token too short for one.)
        if (before_colon == quote_colon && (free_form ? !has_escapes && colon - name_start >= 2
                                                      : is_plain_name_in_input(name))) [[likely]] {
          at += 2;
        } else {
          sync(at, count);
          if (!field_name(name, free_form, raw_item_key)) return false;
          if (current() != ':') return expected("':'");
          at = cursor_ + 1;
        }
        item->key = name;
      }
      // The item's value.
      const char first = text[*at];
      if (first == '"') {
        // The usual string: no whitespace after it, no escapes, not too large.
        std::uint32_t start = at[0];
        std::uint32_t end = at[1];
        std::uint32_t size = end - start - 2;
        std::string_view string{text + start + 1, size};
        bool raw_string = true;
        if (text[end - 1] == '"' && size <= report_limits::max_string_bytes && !has_escapes)
            [[likely]] {
          ++at;
        } else {
          sync(at, count);
          if (!this->string(string, raw_string)) return false;
          if (string.size() > report_limits::max_string_bytes) return too_large(item->key);
          at = cursor_;
        }
        if (count == report_limits::max_nodes) [[unlikely]] {
          return stop(at, count, too_many_nodes());
        }
        item->text = string;
        item->end = ++count;
        item->kind = node_kind::string;
        item->plain_json = raw_item_key && raw_string;
        ++item;
      } else if (starts_number(first)) {
        std::string_view token = token_at(text, at);
        ++at;
        if (!is_usual_number_in_input(token)) [[unlikely]] {
          if (!is_json_number(token)) return stop(at, count, malformed("bad number"));
          if (token.size() > report_limits::max_string_bytes) {
            return stop(at, count, too_large(item->key));
          }
        }
        if (count == report_limits::max_nodes) [[unlikely]] {
          return stop(at, count, too_many_nodes());
        }
        item->text = token;
        item->end = ++count;
        item->kind = node_kind::number;
        item->plain_json = raw_item_key;
        ++item;
      } else if (first == '{' || first == '[') {
        if (depth + open_count >= report_limits::max_depth) return stop(at, count, too_deep());
        if (count == report_limits::max_nodes) return stop(at, count, too_many_nodes());
        if (open_at(raw_item_key)) continue;
      } else if (first == 't' || first == 'f' || first == 'n') {
        std::string_view token = token_at(text, at);
        ++at;
        node_kind kind;
        if (token == "true" || token == "false") {
          kind = node_kind::boolean;
        } else if (token == "null") {
          kind = node_kind::null;
        } else {
          return stop(at, count, malformed("bad literal"));
        }
        if (count == report_limits::max_nodes) return stop(at, count, too_many_nodes());
        item->text = token;
        item->end = ++count;
        item->kind = kind;
        item->plain_json = raw_item_key;
        ++item;
      } else if (first == '\0') {
        return stop(at, count, malformed("truncated document"));
      } else {
        return stop(at, count, malformed("expected a value"));
      }
      // The item is complete: close the containers that end here, then go on after the ','.
      for (;;) {
        char next = text[*at];
        if (next == ',') [[likely]] {
          ++at;
          break;
        }
        if (next != (in_object ? '}' : ']')) [[unlikely]] {
          return stop(at, count, expected_at(at, in_object ? "',' or '}'" : "',' or ']'"));
        }
        ++at;
        const open_container& closed = open[--open_count];
        closed.container->end = count;
        if (open_count == 0) return stop(at, count, true);
        in_object = closed.parent_is_object;
        free_form = closed.parent_free_form;
      }
    }
  }

  /// The report's root: `{"<report type>": {...}}` and nothing after it.
  bool report() {
    if (current() != '{') {
      // Another JSON value is the wrong root; anything else is not JSON at all ("nope").
      char c = current();
      std::string_view token = token_at(text_, cursor_);
      bool json_value = c == '[' || c == '"' || is_json_number(token) || token == "true" ||
                        token == "false" || token == "null";
      if (!json_value) return malformed("not a JSON document");
      return fail(error(errc::wrong_root, "root must be a JSON object"));
    }
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
    if (!container(to_string(type), 0, false, true)) return false;
    if (current() == ',') return fail(error(errc::wrong_root, "root must hold exactly one report"));
    if (current() != '}') return expected("'}'");
    ++cursor_;
    if (!at_end()) return malformed("trailing content after the report");
    return true;
  }

 private:
  /// Hands the cursor and the node count over to the general rules (and to the caller).
  void sync(const std::uint32_t* at, std::uint32_t count) {
    cursor_ = at;
    builder_.set_size(count);
  }

  /// sync() and `result`.
  bool stop(const std::uint32_t* at, std::uint32_t count, bool result) {
    sync(at, count);
    return result;
  }

  /// The scalar token at `at` without the whitespace before the next one.
  static std::string_view token_at(const char* text, const std::uint32_t* at) {
    const char* start = text + at[0];
    const char* end = text + at[1];
    // Whitespace is at most ' '; a token's last byte almost never is.
    if (static_cast<unsigned char>(end[-1]) <= ' ') {
      while (end > start && static_cast<unsigned char>(end[-1]) <= ' ' && is_space(end[-1])) --end;
    }
    return {start, static_cast<std::size_t>(end - start)};
  }

  /// The current scalar token without the whitespace before the next one; advances.
  std::string_view scalar_token() { return token_at(text_, cursor_++); }

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

  bool fail(const error& e) {
    failure_ = e;
    return false;
  }

  bool malformed(std::string_view what) {
    return fail(error(errc::malformed_json, "malformed JSON: ", what));
  }

  bool expected(std::string_view what) { return expected_at(cursor_, what); }

  bool expected_at(const std::uint32_t* at, std::string_view what) {
    if (text_[*at] == '\0') return malformed("truncated document");
    return fail(error(errc::malformed_json, "malformed JSON: expected ", what));
  }

  bool too_deep() {
    return fail(error(errc::document_too_complex, "JSON nested more than 32 levels"));
  }

  bool too_large(std::string_view key) {
    return fail(error(errc::field_too_large, "field '", key.substr(0, 64), "' exceeds 4096 bytes"));
  }

  bool too_many_nodes() { return fail(report_builder::too_many_nodes()); }

  const char* text_;
  const std::uint32_t* cursor_;
  const std::uint32_t* end_;
  bool has_escapes_;
  const simdjson::internal::dom_parser_implementation& stage1_;
  report_builder& builder_;
  node* nodes_;
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
  if (!walk.container(key, depth, true, false)) return walk.failure();
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
