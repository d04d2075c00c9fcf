#pragma once

// The property both report fuzzers check: whatever the parser accepts, the router encodes into
// bodies that the parser accepts again (an AS never gets a body the router would refuse), with
// the same report type and DevEUI.

#include <string>

#include "codecs/encoders.hpp"
#include "codecs/report_parser.hpp"
#include "fuzz/fuzz_input.hpp"

namespace tr::fuzz {

inline void check_round_trip(codecs::report_parser& parser, const codecs::report& parsed) {
  static codecs::report again;
  static std::string body;
  const codecs::body_format formats[] = {codecs::body_format::json,
                                         codecs::body_format::json_untyped,
                                         codecs::body_format::xml};
  for (auto format : formats) {
    body.clear();
    codecs::encode(parsed, format, body);
    auto err = format == codecs::body_format::xml ? parser.parse_xml(body, again)
                                                  : parser.parse_json(body, again);
    // Escaping may lengthen a body past the size limit, and XML carries a control character
    // as U+FFFD (three bytes), which may lengthen a string past its limit; anything else is a
    // finding.
    if (err.code() == codecs::errc::document_too_large) continue;
    if (format == codecs::body_format::xml && err.code() == codecs::errc::field_too_large) continue;
    if (!err.ok()) {
      auto why = err.message();
      std::fprintf(stderr, "re-parse failed: %.*s\n%s\n", static_cast<int>(why.size()),
                   why.data(), body.c_str());
    }
    check(err.ok(), "an encoded report does not parse again");
    check(again.type() == parsed.type(), "the report type changed in a round trip");
    check(again.fields().dev_eui == parsed.fields().dev_eui, "DevEUI changed in a round trip");
  }
}

}  // namespace tr::fuzz
