// Query parsing: percent-decoding, the uplink query, the downlink query's Token split and ISO
// 8601 times. Beyond "no crash", each accepted input must survive its documented round trip.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "codecs/query.hpp"
#include "codecs/time.hpp"
#include "fuzz/fuzz_input.hpp"

using namespace tr;
using tr::fuzz::check;

namespace {

void percent(std::string_view text) {
  std::string decoded;
  (void)codecs::percent_decode(text, decoded);
  std::string encoded, back;
  codecs::percent_encode(text, encoded);
  check(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-._~%") == std::string::npos,
        "percent_encode left a reserved character");
  check(codecs::percent_decode(encoded, back).ok() && back == text,
        "percent_decode(percent_encode(x)) != x");
}

void params(std::string_view text) {
  std::string_view rest = text, name, value;
  std::size_t count = 0;
  while (codecs::next_query_param(rest, name, value)) {
    check(++count <= text.size() + 1, "next_query_param does not advance");
    check(name.data() >= text.data() && name.data() + name.size() <= text.data() + text.size(),
          "a parameter name outside the query");
  }
}

void uplink(std::string_view text) {
  codecs::uplink_query query, again;
  std::string storage, wire, storage_again;
  if (!codecs::parse_uplink_query(text, query, storage).ok()) return;
  codecs::append_uplink_query(query, wire);
  check(codecs::parse_uplink_query(wire, again, storage_again).ok(),
        "an uplink query written by the router does not parse again");
  check(again.dev_eui == query.dev_eui && again.fport == query.fport &&
            again.infos == query.infos && again.as_id == query.as_id && again.time == query.time,
        "an uplink query changed in a round trip");
  std::string url;
  codecs::append_uplink_url("https://as.example/up?x=1#frag", query, "tok", url);
  check(url.find('#') == std::string::npos, "a fragment went on the wire");
}

void downlink(std::string_view text) {
  codecs::downlink_query_parts parts;
  if (!codecs::split_downlink_query(text, parts).ok()) return;
  std::string_view query = text.starts_with('?') ? text.substr(1) : text;
  check(query.starts_with(parts.signed_part), "the signed part is not the query's start");
  if (!parts.token.empty()) {
    // One trailing '&' ends the query without starting a parameter.
    auto tail = query.ends_with('&') ? query.substr(0, query.size() - 1) : query;
    check(tail.ends_with(parts.token), "Token is not the last parameter");
    check(query.substr(parts.signed_part.size()).starts_with("&Token=") ||
              (parts.signed_part.empty() && query.starts_with("Token=")),
          "the signed part does not end at Token");
  }
}

void time(std::string_view text) {
  auto parsed = codecs::parse_time(text);
  if (!parsed.ok()) return;
  std::string written;
  codecs::append_time(parsed.value(), written);
  auto again = codecs::parse_time(written);
  check(again.ok(), "a time written by the router does not parse again");
  auto truncated = std::chrono::floor<std::chrono::milliseconds>(parsed.value());
  check(again.value() == truncated, "a time changed in a round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tr::fuzz::input_reader in{data, size};
  auto mode = in.byte();
  auto text = in.rest();
  switch (mode % 5) {
    case 0: percent(text); break;
    case 1: params(text); break;
    case 2: uplink(text); break;
    case 3: downlink(text); break;
    default: time(text); break;
  }
  return 0;
}
