// Every kind of bad input a peer or a user can send, each with the error code it must produce.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codecs/query.hpp"
#include "codecs/report_parser.hpp"
#include "codecs/signing_key.hpp"
#include "codecs/time.hpp"

namespace tr::codecs {
namespace {

enum class input_kind { body, key, percent, time, uplink_query };

struct bad_input {
  std::string name;
  input_kind kind;
  std::string input;
  errc expected;
};

/// How a case shows in test output: its name (the input may be long or binary).
void PrintTo(const bad_input& c, std::ostream* out) { *out << c.name; }

std::string uplink(std::string_view fields) {
  return R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496")" + std::string(fields) + "}}";
}

std::string xml(std::string_view fields) {
  return "<DevEUI_uplink xmlns=\"http://uri.actility.com/lora\"><DevEUI>20635F0108000496</DevEUI>" +
         std::string(fields) + "</DevEUI_uplink>";
}

std::string nested_json(int depth) {
  return uplink(", \"A\": " + std::string(depth, '[') + std::string(depth, ']'));
}

std::string nested_xml(int depth) {
  std::string open;
  std::string close;
  for (int i = 0; i < depth; ++i) {
    open += "<A>";
    close = "</A>" + close;
  }
  return xml(open + "x" + close);
}

std::string many_items(int n) {
  std::string items = "0";
  for (int i = 1; i < n; ++i) items += ",0";
  return uplink(", \"A\": [" + items + "]");
}

std::vector<bad_input> cases() {
  using k = input_kind;
  return {
      {"empty_body", k::body, "", errc::empty_input},
      {"blank_body", k::body, " \n\t ", errc::empty_input},
      {"neither_json_nor_xml", k::body, "DevEUI=1", errc::unknown_format},
      {"truncated_json", k::body, R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496", "FPort": 1)",
       errc::malformed_json},
      {"truncated_json_string", k::body, R"({"DevEUI_uplink": {"DevEUI": "2063)",
       errc::malformed_json},
      {"json_trailing_content", k::body, uplink("") + R"({"a": 1})", errc::malformed_json},
      {"json_trailing_comma", k::body, uplink(", \"FPort\": 1,"), errc::malformed_json},
      {"json_missing_colon", k::body, uplink(", \"FPort\" 1"), errc::malformed_json},
      {"json_bad_literal", k::body, uplink(", \"Late\": tru"), errc::malformed_json},
      {"json_bad_number", k::body, uplink(", \"LrrSNR\": 1.2.3"), errc::malformed_json},
      {"json_leading_zero", k::body, uplink(", \"LrrSNR\": 01"), errc::malformed_json},
      {"json_bad_escape", k::body, uplink(R"(, "Note": "a\x")"), errc::malformed_json},
      {"json_control_character", k::body, uplink(", \"Note\": \"a\x01\""), errc::malformed_json},
      {"json_invalid_utf8", k::body, uplink(", \"Note\": \"\xc3\x28\""), errc::malformed_json},
      {"root_is_an_array", k::body, "[1, 2]", errc::wrong_root},
      {"root_is_empty", k::body, "{}", errc::wrong_root},
      {"root_holds_two_reports", k::body,
       uplink("").substr(0, uplink("").size() - 1) + R"(, "DevEUI_location": {}})",
       errc::wrong_root},
      {"report_is_not_an_object", k::body, R"({"DevEUI_uplink": [1]})", errc::wrong_root},
      {"unknown_report_type", k::body, R"({"DevEUI_status": {"DevEUI": "20635F0108000496"}})",
       errc::unknown_report_type},
      {"dev_eui_as_a_number", k::body, R"({"DevEUI_uplink": {"DevEUI": 2063501080004}})",
       errc::wrong_type},
      {"customer_id_as_a_number", k::body, uplink(", \"CustomerID\": 100002167"), errc::wrong_type},
      {"payload_hex_as_a_number", k::body, uplink(", \"payload_hex\": 1234"), errc::wrong_type},
      {"fport_as_a_boolean", k::body, uplink(", \"FPort\": true"), errc::wrong_type},
      {"fcnt_up_as_an_object", k::body, uplink(", \"FCntUp\": {}"), errc::wrong_type},
      {"missing_dev_eui", k::body, R"({"DevEUI_uplink": {"FPort": 1}})", errc::missing_field},
      {"duplicate_dev_eui", k::body, uplink(", \"DevEUI\": \"20635F0108000497\""),
       errc::duplicate_field},
      {"short_dev_eui", k::body, R"({"DevEUI_uplink": {"DevEUI": "20635F01"}})",
       errc::invalid_dev_eui},
      {"non_hex_dev_eui", k::body, R"({"DevEUI_uplink": {"DevEUI": "20635F010800049G"}})",
       errc::invalid_dev_eui},
      {"fport_above_255", k::body, uplink(", \"FPort\": 256"), errc::invalid_number},
      {"negative_fport", k::body, uplink(", \"FPort\": -1"), errc::invalid_number},
      {"fractional_fport", k::body, uplink(", \"FPort\": 1.5"), errc::invalid_number},
      {"fcnt_up_above_32_bits", k::body, uplink(", \"FCntUp\": 4294967296"), errc::invalid_number},
      {"odd_payload_hex", k::body, uplink(", \"payload_hex\": \"abc\""), errc::invalid_hex},
      {"non_hex_payload_hex", k::body, uplink(", \"payload_hex\": \"zz\""), errc::invalid_hex},
      {"oversized_payload_hex", k::body,
       uplink(", \"payload_hex\": \"" + std::string(514, 'a') + "\""), errc::field_too_large},
      {"oversized_string", k::body, uplink(", \"Note\": \"" + std::string(5000, 'a') + "\""),
       errc::field_too_large},
      {"oversized_document", k::body, uplink(", \"Note\": \"" + std::string(70000, 'a') + "\""),
       errc::document_too_large},
      {"json_nested_too_deeply", k::body, nested_json(40), errc::document_too_complex},
      {"json_with_too_many_values", k::body, many_items(5000), errc::document_too_complex},
      {"field_name_with_a_space", k::body, uplink(", \"Lrr RSSI\": 1"), errc::invalid_field_name},
      {"truncated_xml", k::body, xml("<FPort>1</FPort>").substr(0, 80), errc::malformed_xml},
      {"xml_mismatched_end_tag", k::body, xml("<FPort>1</FCntUp>"), errc::malformed_xml},
      {"xml_mixed_content", k::body, xml("<Lrrs>x<Lrr>1</Lrr></Lrrs>"), errc::malformed_xml},
      {"xml_unknown_entity", k::body, xml("<Note>&nbsp;</Note>"), errc::malformed_xml},
      {"xml_unterminated_entity", k::body, xml("<Note>a & b</Note>"), errc::malformed_xml},
      {"xml_reference_to_nul", k::body, xml("<Note>&#0;</Note>"), errc::malformed_xml},
      {"xml_doctype", k::body, "<!DOCTYPE x [<!ENTITY a \"b\">]>" + xml(""), errc::malformed_xml},
      {"xml_content_after_root", k::body, xml("") + "<x/>", errc::malformed_xml},
      {"xml_unquoted_attribute", k::body, "<DevEUI_uplink xmlns=x></DevEUI_uplink>",
       errc::malformed_xml},
      {"xml_invalid_utf8", k::body, xml("<Note>\xff</Note>"), errc::malformed_xml},
      {"xml_unknown_root", k::body,
       "<DevEUI_status><DevEUI>20635F0108000496</DevEUI></DevEUI_status>",
       errc::unknown_report_type},
      {"xml_prefixed_element_name", k::body, xml("<a:FPort>1</a:FPort>"), errc::invalid_field_name},
      {"xml_nested_too_deeply", k::body, nested_xml(40), errc::document_too_complex},
      {"xml_missing_dev_eui", k::body, "<DevEUI_uplink><FPort>1</FPort></DevEUI_uplink>",
       errc::missing_field},
      {"key_with_a_non_hex_digit", k::key, "f3203a20a2e8dfaf6686b621f56d05eg", errc::invalid_key},
      {"short_key", k::key, "f3203a20a2e8dfaf6686b621f56d05e", errc::invalid_key},
      {"long_key", k::key, "f3203a20a2e8dfaf6686b621f56d05e30", errc::invalid_key},
      {"key_with_a_space", k::key, " f3203a20a2e8dfaf6686b621f56d05e", errc::invalid_key},
      {"lone_percent", k::percent, "%", errc::invalid_percent_escape},
      {"percent_with_non_hex_digit", k::percent, "%G1", errc::invalid_percent_escape},
      {"percent_with_one_digit", k::percent, "a%4", errc::invalid_percent_escape},
      {"time_with_a_space", k::time, "2021-04-07 08:49:51.551+00:00", errc::invalid_time},
      {"time_without_offset", k::time, "2021-04-07T08:49:51.551", errc::invalid_time},
      {"time_with_offset_without_colon", k::time, "2021-04-07T08:49:51.551+0000",
       errc::invalid_time},
      {"time_with_empty_fraction", k::time, "2021-04-07T08:49:51.+00:00", errc::invalid_time},
      {"time_with_month_13", k::time, "2021-13-07T08:49:51Z", errc::invalid_time},
      {"time_at_hour_24", k::time, "2021-04-07T24:00:00Z", errc::invalid_time},
      {"time_with_trailing_text", k::time, "2021-04-07T08:49:51Zx", errc::invalid_time},
      {"empty_time", k::time, "", errc::invalid_time},
      {"query_with_unknown_parameter", k::uplink_query,
       "LrnDevEui=1&LrnFPort=2&LrnInfos=3&AS_ID=4&Time=5&Extra=6", errc::invalid_query},
      {"query_with_repeated_parameter", k::uplink_query,
       "LrnDevEui=1&LrnFPort=2&LrnInfos=3&AS_ID=4&Time=5&Time=6", errc::invalid_query},
      {"query_with_bad_escape", k::uplink_query,
       "LrnDevEui=1&LrnFPort=2&LrnInfos=3&AS_ID=4&Time=%ZZ", errc::invalid_percent_escape},
  };
}

errc check(const bad_input& c, std::string& message) {
  switch (c.kind) {
    case input_kind::body: {
      report_parser parser;
      report r;
      error e = parser.parse(c.input, r);
      message = std::string(e.message());
      return e.code();
    }
    case input_kind::key: {
      auto key = signing_key::parse(c.input);
      message = std::string(key.error().message());
      return key.error().code();
    }
    case input_kind::percent: {
      std::string out;
      error e = percent_decode(c.input, out);
      message = std::string(e.message());
      return e.code();
    }
    case input_kind::time: {
      auto t = parse_time(c.input);
      message = std::string(t.error().message());
      return t.error().code();
    }
    case input_kind::uplink_query: {
      uplink_query q;
      std::string storage;
      error e = parse_uplink_query(c.input, q, storage);
      message = std::string(e.message());
      return e.code();
    }
  }
  return errc::none;
}

class malformed_input : public ::testing::TestWithParam<bad_input> {};

TEST_P(malformed_input, is_refused_with_its_error_code_and_a_message) {
  std::string message;
  errc code = check(GetParam(), message);
  EXPECT_EQ(to_string(code), to_string(GetParam().expected)) << message;
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(codecs, malformed_input, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace tr::codecs
