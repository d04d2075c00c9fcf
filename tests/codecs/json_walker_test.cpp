// The JSON walk's edge cases, above all those of its fast paths: compact tokens, numbers and
// field names classified 16 bytes at a time, tokens at the very end of the input, limits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codecs/report_parser.hpp"

namespace tr::codecs {
namespace {

std::string uplink(std::string_view fields) {
  return R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496")" + std::string(fields) + "}}";
}

/// The message of parsing `body` as JSON, or "ok".
std::string outcome(std::string_view body) {
  report_parser parser;
  report r;
  error e = parser.parse_json(body, r);
  return e.ok() ? "ok" : std::string(e.message());
}

/// The text of the last node of `body` (which must parse).
std::string last_text(std::string_view body) {
  report_parser parser;
  report r;
  error e = parser.parse_json(body, r);
  EXPECT_TRUE(e.ok()) << body << ": " << e.message();
  if (!e.ok() || r.nodes().empty()) return {};
  return std::string(r.nodes().back().text);
}

const std::vector<std::string> valid_numbers = {"0",
                                                "-0",
                                                "7",
                                                "-9",
                                                "10",
                                                "1.5",
                                                "-0.5",
                                                "-67.000000",
                                                "868.3",
                                                "0.000000",
                                                "1e5",
                                                "1E+5",
                                                "1e-5",
                                                "-1.5E10",
                                                "0e0",
                                                "4294967296",
                                                "123456789012345",
                                                "1234567890123456",
                                                "12345678901234567",
                                                "-123456789012345",
                                                "-1234567890123456",
                                                "0.00000000000001",
                                                "0.000000000000001",
                                                "1234567890.123456789",
                                                "-1.0e+00"};

const std::vector<std::string> bad_numbers = {"01",
                                              "-01",
                                              "00",
                                              "1.",
                                              "-1.",
                                              "0.",
                                              "-",
                                              "--1",
                                              "1-",
                                              "1+",
                                              "-.5",
                                              "1e",
                                              "1E",
                                              "1e+",
                                              "1e-",
                                              "1.e5",
                                              "1.5e",
                                              "1.2.3",
                                              "1..2",
                                              "0x1",
                                              "1_000",
                                              "1a",
                                              "-a",
                                              "012",
                                              "0.5.",
                                              "1e5.5",
                                              "12345678901234567.",
                                              "1234567890123456.",
                                              "123456789012345.",
                                              "-123456789012345."};

TEST(json_walker, keeps_every_valid_number_as_written) {
  for (const std::string& number : valid_numbers) {
    EXPECT_EQ(last_text(uplink(R"(,"N":)" + number)), number);
    EXPECT_EQ(last_text(uplink(R"(,"N":[)" + number + "]")), number);
    EXPECT_EQ(last_text(uplink(R"(,"N":)" + number + " \n")), number);
    EXPECT_EQ(last_text(uplink(R"(,"N": )" + number + "\t,\"M\":" + number)), number);
  }
}

TEST(json_walker, refuses_every_malformed_number_as_a_bad_number) {
  for (const std::string& number : bad_numbers) {
    EXPECT_EQ(outcome(uplink(R"(,"N":)" + number)), "malformed JSON: bad number") << number;
    EXPECT_EQ(outcome(uplink(R"(,"N":[1,)" + number + "]")), "malformed JSON: bad number")
        << number;
    EXPECT_EQ(outcome(uplink(R"(,"N":)" + number + " ")), "malformed JSON: bad number") << number;
  }
}

TEST(json_walker, refuses_a_number_that_starts_with_a_point_as_no_value) {
  EXPECT_EQ(outcome(uplink(R"(,"N":.5)")), "malformed JSON: expected a value");
}

TEST(json_walker, reports_a_token_at_the_very_end_of_the_input_as_truncated) {
  std::string open = R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","N":)";
  for (std::string token : {"12", "-1.5", "1e5", "true", "null", "\"x\"", "[1", "{\"a\":1"}) {
    EXPECT_EQ(outcome(open + token), "malformed JSON: truncated document") << token;
  }
  EXPECT_EQ(outcome(open + "01"), "malformed JSON: bad number");  // the token comes first
  EXPECT_EQ(outcome(open), "malformed JSON: truncated document");
  EXPECT_EQ(outcome(R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","N")"),
            "malformed JSON: truncated document");
}

TEST(json_walker, accepts_plain_field_names_up_to_64_bytes) {
  for (std::size_t size : {1, 2, 15, 16, 17, 31, 32, 33, 63, 64}) {
    std::string name(size, 'a');
    name[size - 1] = size % 2 ? '_' : '9';
    EXPECT_EQ(outcome(uplink(",\"" + name + "\":1")), "ok") << size;
    EXPECT_EQ(outcome(uplink(",\"" + name + "\" :\"v\"")), "ok") << size;
  }
  EXPECT_EQ(outcome(uplink(R"(,"_Az09-.b":1,"Z.-_":{"y9":[]})")), "ok");
}

TEST(json_walker, refuses_a_field_name_of_65_bytes) {
  std::string name(65, 'a');
  EXPECT_EQ(outcome(uplink(",\"" + name + "\":1")),
            "field name '" + name.substr(0, 64) + "' is not usable as an XML element name");
}

TEST(json_walker, refuses_a_name_byte_outside_the_plain_set_at_every_position) {
  const std::vector<std::string> bad_bytes = {
      " ", "/", "@", "[", "`", "{", "~", "\x7f", "\xc3\xa9", "\xe4\xb8\xad", "+", ":", ","};
  for (std::size_t size : {1, 15, 16, 17, 33, 64}) {
    for (std::size_t at = 0; at < size; ++at) {
      for (const std::string& bad : bad_bytes) {
        std::string name = std::string(at, 'a') + bad + std::string(size - at - 1, 'b');
        std::string result = outcome(uplink(",\"" + name + "\":1"));
        EXPECT_EQ(result.substr(0, 12), "field name '") << size << ' ' << at << ' ' << bad;
      }
    }
  }
}

TEST(json_walker, refuses_a_name_that_starts_with_a_digit_a_dash_or_a_point) {
  for (std::string name : {"9a", "-a", ".a", "0", "-", "."}) {
    EXPECT_EQ(outcome(uplink(",\"" + name + "\":1")),
              "field name '" + name + "' is not usable as an XML element name");
  }
}

TEST(json_walker, accepts_any_field_name_inside_customer_data_and_only_there) {
  std::string long_name(80, 'x');
  EXPECT_EQ(outcome(uplink(R"(,"CustomerData":{"a b":1,"\u00e9":[{"9":null}],")" + long_name +
                           R"(":true})")),
            "ok");
  EXPECT_EQ(outcome(uplink(R"(,"CustomerData":{"a b":1},"c d":2)")),
            "field name 'c d' is not usable as an XML element name");
  EXPECT_EQ(outcome(uplink(R"(,"CustomerData":{},"c d":2)")),
            "field name 'c d' is not usable as an XML element name");
  EXPECT_EQ(outcome(uplink(R"(,"DriverCfg":{"x":{"a b":[]}},"A":[{"c d":2}])")),
            "field name 'c d' is not usable as an XML element name");
}

TEST(json_walker, unescapes_a_name_before_checking_it) {
  EXPECT_EQ(outcome(uplink(R"(,"F\u0050ort":1)")), "ok");
  EXPECT_EQ(outcome(uplink(R"(,"a\u0020b":1)")),
            "field name 'a b' is not usable as an XML element name");
}

TEST(json_walker, accepts_strings_up_to_4096_bytes) {
  EXPECT_EQ(last_text(uplink(",\"S\":\"" + std::string(4096, 's') + "\"")).size(), 4096u);
  EXPECT_EQ(outcome(uplink(",\"S\":\"" + std::string(4097, 's') + "\"")),
            "field 'S' exceeds 4096 bytes");
  EXPECT_EQ(outcome(uplink(",\"S\":\"" + std::string(4097, 's') + "\\n\"")),
            "field 'S' exceeds 4096 bytes");
}

TEST(json_walker, counts_every_value_against_the_node_limit) {
  auto items = [](int n) {
    std::string list = "0";
    for (int i = 1; i < n; ++i) list += ",0";
    return uplink(R"(,"A":[)" + list + "]");
  };
  EXPECT_EQ(outcome(items(4093)), "ok");  // with the report, DevEUI and the array: 4096
  EXPECT_EQ(outcome(items(4094)), "report has more than 4096 values");
}

TEST(json_walker, accepts_nesting_up_to_32_levels) {
  auto nested = [](int levels) {
    return uplink(R"(,"A":)" + std::string(levels, '[') + std::string(levels, ']'));
  };
  EXPECT_EQ(outcome(nested(31)), "ok");  // inside the report object, which is level 1
  EXPECT_EQ(outcome(nested(32)), "JSON nested more than 32 levels");
}

TEST(json_walker, walks_json_carried_in_xml_to_its_last_token) {
  report_parser parser;
  report r;
  auto xml = [](std::string_view json) {
    return "<DevEUI_uplink><DevEUI>20635F0108000496</DevEUI><CustomerData>" + std::string(json) +
           "</CustomerData></DevEUI_uplink>";
  };
  ASSERT_TRUE(parser.parse_xml(xml(R"({"a b":-12.5})"), r).ok());
  EXPECT_EQ(r.nodes().back().text, "-12.5");
  ASSERT_TRUE(parser.parse_xml(xml(R"({"a":12)"), r).ok());  // not JSON after all: a string
  EXPECT_EQ(r.nodes().back().kind, node_kind::string);
  EXPECT_EQ(r.nodes().back().text, R"({"a":12)");
}

}  // namespace
}  // namespace tr::codecs
