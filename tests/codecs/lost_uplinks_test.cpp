// LostUplinksAS, the field the router adds to each DevEUI_uplink it delivers.
#include <gtest/gtest.h>

#include <string>

#include "codecs/encoders.hpp"
#include "codecs/report_parser.hpp"

namespace tr::codecs {
namespace {

class lost_uplinks : public ::testing::Test {
 protected:
  std::string encoded(std::string_view body, body_format format, std::uint32_t lost) {
    report r;
    auto e = parser_.parse(body, r);
    EXPECT_TRUE(e.ok()) << e.message();
    std::string out;
    encode_uplink(r, format, lost, out);
    return out;
  }
  report_parser parser_;
};

constexpr std::string_view compact =
    R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":17,"FCntUp":18,"CustomerID":"1"}})";
constexpr std::string_view spaced =
    R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496", "FCntUp": "18", "CustomerID": "1"}})";

TEST_F(lost_uplinks, goes_right_after_fcntup_in_a_compact_json_body) {
  EXPECT_EQ(encoded(compact, body_format::json, 3),
            R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":17,"FCntUp":18,)"
            R"("LostUplinksAS":3,"CustomerID":"1"}})");
}

TEST_F(lost_uplinks, goes_right_after_fcntup_when_the_body_is_rewritten) {
  EXPECT_EQ(encoded(spaced, body_format::json, 0),
            R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FCntUp":18,"LostUplinksAS":0,)"
            R"("CustomerID":"1"}})");
}

TEST_F(lost_uplinks, is_a_string_in_json_untyped_and_an_element_in_xml) {
  EXPECT_EQ(encoded(compact, body_format::json_untyped, 12),
            R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":"17","FCntUp":"18",)"
            R"("LostUplinksAS":"12","CustomerID":"1"}})");
  EXPECT_EQ(encoded(compact, body_format::xml, 12),
            R"(<?xml version="1.0" encoding="UTF-8"?><DevEUI_uplink xmlns="http://uri.actility.com/lora">)"
            R"(<DevEUI>20635F0108000496</DevEUI><FPort>17</FPort><FCntUp>18</FCntUp>)"
            R"(<LostUplinksAS>12</LostUplinksAS><CustomerID>1</CustomerID></DevEUI_uplink>)");
}

TEST_F(lost_uplinks, replaces_a_value_the_ns_sent_wherever_it_was) {
  auto with_value =
      R"({"DevEUI_uplink":{"LostUplinksAS":9,"DevEUI":"20635F0108000496","FCntUp":18}})";
  EXPECT_EQ(encoded(with_value, body_format::json, 2),
            R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FCntUp":18,"LostUplinksAS":2}})");
  EXPECT_EQ(encoded(with_value, body_format::xml, 2),
            R"(<?xml version="1.0" encoding="UTF-8"?><DevEUI_uplink xmlns="http://uri.actility.com/lora">)"
            R"(<DevEUI>20635F0108000496</DevEUI><FCntUp>18</FCntUp>)"
            R"(<LostUplinksAS>2</LostUplinksAS></DevEUI_uplink>)");
}

TEST_F(lost_uplinks, goes_last_without_fcntup) {
  EXPECT_EQ(encoded(R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496"}})", body_format::json, 1),
            R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","LostUplinksAS":1}})");
}

TEST_F(lost_uplinks, is_not_added_to_other_report_types) {
  auto notification = R"({"DevEUI_notification":{"DevEUI":"20635F0108000496","Type":"x"}})";
  EXPECT_EQ(encoded(notification, body_format::json, 4),
            R"({"DevEUI_notification":{"DevEUI":"20635F0108000496","Type":"x"}})");
}

}  // namespace
}  // namespace tr::codecs
