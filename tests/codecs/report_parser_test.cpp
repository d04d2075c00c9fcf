#include "codecs/report_parser.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/codecs/sample_reports.hpp"

namespace tr::codecs {
namespace {

report parse_ok(std::string_view body) {
  report_parser parser;
  report r;
  error e = parser.parse(body, r);
  EXPECT_TRUE(e.ok()) << e.message();
  return r;
}

TEST(report_parser, reads_the_token_fields_of_an_uplink) {
  report r = parse_ok(samples::v1_uplink_json);
  EXPECT_EQ(r.type(), report_type::uplink);
  EXPECT_EQ(r.fields().customer_id, "100002167");
  EXPECT_EQ(r.fields().dev_eui, "20635F0108000496");
  EXPECT_EQ(r.fields().fport, "17");
  EXPECT_EQ(r.fields().fcnt_up, "18");
  EXPECT_EQ(r.fields().fcnt_dn, "7");
  EXPECT_EQ(r.fields().payload_hex,
            "032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab");
}

TEST(report_parser, recognizes_each_report_type_by_its_root_key) {
  EXPECT_EQ(parse_ok(samples::downlink_sent_json).type(), report_type::downlink_sent);
  EXPECT_EQ(parse_ok(samples::notification_json).type(), report_type::notification);
  EXPECT_EQ(parse_ok(samples::location_json).type(), report_type::location);
}

TEST(report_parser, keeps_the_exact_source_text_of_numbers) {
  report r = parse_ok(samples::v1_uplink_json);
  EXPECT_EQ(r.find("LrrRSSI")->text, "-67.000000");
  EXPECT_EQ(r.find("LrrRSSI")->kind, node_kind::number);
  EXPECT_EQ(r.find("MeanPER")->text, "1.50");
  EXPECT_EQ(r.find("Frequency")->text, "868.3");
}

TEST(report_parser, keeps_nested_objects_and_arrays_in_pre_order) {
  report r = parse_ok(samples::v1_uplink_json);
  const node* lrrs = r.find("Lrrs");
  ASSERT_NE(lrrs, nullptr);
  ASSERT_EQ(lrrs->kind, node_kind::object);
  const node& lrr = lrrs[1];
  EXPECT_EQ(lrr.key, "Lrr");
  ASSERT_EQ(lrr.kind, node_kind::array);
  const node& first = (&lrr)[1];
  EXPECT_EQ(first.kind, node_kind::object);
  EXPECT_TRUE(first.key.empty());
  EXPECT_EQ((&first)[1].key, "Lrrid");
  EXPECT_EQ((&first)[1].text, "FF0109A4");
}

TEST(report_parser, unescapes_strings_and_keys) {
  report r = parse_ok(R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496", "Note": "a\"b\\c\u00e9\n",
                          "CustomerData": {"k\u0065y": "v"}}})");
  EXPECT_EQ(r.find("Note")->text, "a\"b\\c\xc3\xa9\n");
  EXPECT_EQ(r.find("CustomerData")[1].key, "key");
}

TEST(report_parser, accepts_numbers_as_strings_as_json_untyped_sends_them) {
  report r = parse_ok(R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496", "FPort": "17",
                          "FCntUp": "18", "LrrRSSI": "-67"}})");
  EXPECT_EQ(r.fields().fport, "17");
  EXPECT_EQ(r.fields().fcnt_up, "18");
  EXPECT_EQ(r.find("LrrRSSI")->kind, node_kind::string);
}

TEST(report_parser, leaves_absent_token_fields_empty) {
  report r = parse_ok(R"({"DevEUI_notification": {"DevEUI": "20635F0108000496"}})");
  EXPECT_TRUE(r.fields().customer_id.empty());
  EXPECT_TRUE(r.fields().fport.empty());
}

TEST(report_parser, keeps_a_report_valid_after_the_input_is_gone) {
  report_parser parser;
  report r;
  {
    std::string body(samples::v1_uplink_json);
    ASSERT_TRUE(parser.parse_json(body, r).ok());
    body.assign(body.size(), 'x');
  }
  EXPECT_EQ(r.fields().dev_eui, "20635F0108000496");
}

TEST(report_parser, keeps_a_report_valid_after_it_is_moved) {
  report_parser parser;
  report first;
  ASSERT_TRUE(parser.parse_json(samples::notification_json, first).ok());
  report second = std::move(first);
  EXPECT_EQ(second.fields().dev_eui, "20635F0108000496");
  EXPECT_EQ(second.find("Type")->text, "Join");
}

TEST(report_parser, reuses_one_report_for_successive_bodies) {
  report_parser parser;
  report r;
  ASSERT_TRUE(parser.parse(samples::v1_uplink_json, r).ok());
  ASSERT_TRUE(parser.parse(samples::location_json, r).ok());
  EXPECT_EQ(r.type(), report_type::location);
  EXPECT_EQ(r.find("FPort"), nullptr);
  EXPECT_TRUE(r.fields().payload_hex.empty());
  EXPECT_EQ(r.source_size(), samples::location_json.size());
}

TEST(report_parser, accepts_any_field_name_inside_customer_data) {
  report r = parse_ok(R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496",
                          "CustomerData": {"a key with spaces": 1, "<x>": [true, null]}}})");
  EXPECT_EQ(r.find("CustomerData")[1].key, "a key with spaces");
}

TEST(report_parser, detects_xml_by_its_first_non_space_character) {
  report r = parse_ok(
      "  \n<DevEUI_uplink xmlns=\"http://uri.actility.com/lora\"><DevEUI>20635F0108000496</DevEUI>"
      "<FPort>3</FPort></DevEUI_uplink>");
  EXPECT_EQ(r.fields().fport, "3");
}

}  // namespace
}  // namespace tr::codecs
