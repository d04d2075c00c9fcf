#include "codecs/query.hpp"

#include <array>

#include "codecs/detail/hex.hpp"

namespace tr::codecs {

namespace {

constexpr std::array<bool, 256> unreserved = [] {
  std::array<bool, 256> table{};
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  table['-'] = table['.'] = table['_'] = table['~'] = true;
  return table;
}();

constexpr std::string_view param_names[] = {"LrnDevEui", "LrnFPort", "LrnInfos", "AS_ID", "Time"};

std::string_view strip_question_mark(std::string_view query) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  return query;
}

}  // namespace

void percent_encode(std::string_view text, std::string& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t run = i;
    while (run < text.size() && unreserved[static_cast<unsigned char>(text[run])]) ++run;
    out.append(text.data() + i, run - i);
    if (run == text.size()) return;
    unsigned char c = static_cast<unsigned char>(text[run]);
    char escape[3] = {'%', detail::upper_hex_digits[c >> 4], detail::upper_hex_digits[c & 0x0f]};
    out.append(escape, 3);
    i = run + 1;
  }
}

error percent_decode(std::string_view text, std::string& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t percent = text.find('%', i);
    if (percent == std::string_view::npos) {
      out.append(text.data() + i, text.size() - i);
      return {};
    }
    out.append(text.data() + i, percent - i);
    int high = percent + 1 < text.size() ? detail::hex_value(text[percent + 1]) : -1;
    int low = percent + 2 < text.size() ? detail::hex_value(text[percent + 2]) : -1;
    if (high < 0 || low < 0) {
      return error(errc::invalid_percent_escape, "'%' must be followed by two hex digits");
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i = percent + 3;
  }
  return {};
}

bool next_query_param(std::string_view& rest, std::string_view& name, std::string_view& value) {
  if (rest.empty()) return false;
  std::size_t amp = rest.find('&');
  std::string_view param = rest.substr(0, amp);
  rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  std::size_t eq = param.find('=');
  name = param.substr(0, eq);
  value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
  return true;
}

void append_uplink_query(const uplink_query& query, std::string& out) {
  const std::string_view values[] = {query.dev_eui, query.fport, query.infos, query.as_id,
                                     query.time};
  for (std::size_t i = 0; i < 5; ++i) {
    if (i != 0) out.push_back('&');
    out.append(param_names[i]);
    out.push_back('=');
    percent_encode(values[i], out);
  }
}

void append_uplink_url(std::string_view url, const uplink_query& query, std::string_view token,
                       std::string& out) {
  url = url.substr(0, url.find('#'));
  out.append(url);
  std::size_t question = url.find('?');
  if (question == std::string_view::npos) {
    out.push_back('?');
  } else if (question + 1 != url.size() && url.back() != '&') {
    out.push_back('&');
  }
  append_uplink_query(query, out);
  out.append("&Token=");
  out.append(token);
}

error parse_uplink_query(std::string_view query, uplink_query& out, std::string& storage) {
  storage.clear();
  storage.reserve(query.size());  // decoding never grows text: the views below stay valid
  std::string_view* fields[] = {&out.dev_eui, &out.fport, &out.infos, &out.as_id, &out.time};
  bool seen[5] = {};
  std::string_view rest = strip_question_mark(query);
  std::string_view raw_name;
  std::string_view raw_value;
  std::string name;
  while (next_query_param(rest, raw_name, raw_value)) {
    if (raw_name.empty() && raw_value.empty()) continue;  // "&&" or a trailing "&"
    name.clear();
    if (auto e = percent_decode(raw_name, name); !e.ok()) return e;
    if (name == "Token") continue;
    std::size_t i = 0;
    while (i < 5 && param_names[i] != name) ++i;
    if (i == 5)
      return error(errc::invalid_query, "unknown query parameter '", name.substr(0, 40), "'");
    if (seen[i])
      return error(errc::invalid_query, "query parameter ", param_names[i], " appears twice");
    seen[i] = true;
    std::size_t start = storage.size();
    if (auto e = percent_decode(raw_value, storage); !e.ok()) {
      return error(e.code(), param_names[i], ": ", e.message());
    }
    *fields[i] = std::string_view(storage).substr(start);
  }
  for (std::size_t i = 0; i < 5; ++i) {
    if (!seen[i])
      return error(errc::invalid_query, "query parameter ", param_names[i], " is missing");
  }
  return {};
}

error split_downlink_query(std::string_view query, downlink_query_parts& out) {
  query = strip_question_mark(query);
  out = downlink_query_parts{query, {}};
  std::string_view rest = query;
  std::string_view name;
  std::string_view value;
  bool found = false;
  while (true) {
    std::size_t offset = query.size() - rest.size();
    if (!next_query_param(rest, name, value)) break;
    if (found) return error(errc::invalid_query, "Token must be the last query parameter");
    if (name != "Token") continue;
    found = true;
    out.signed_part = query.substr(0, offset == 0 ? 0 : offset - 1);
    out.token = value;
  }
  return {};
}

}  // namespace tr::codecs
