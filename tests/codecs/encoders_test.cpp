#include "codecs/encoders.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codecs/detail/compact_json.hpp"
#include "codecs/report_parser.hpp"
#include "tests/codecs/sample_reports.hpp"

namespace tr::codecs {
namespace {

class encoders : public ::testing::Test {
 protected:
  report parse(std::string_view body) {
    report r;
    error e = parser_.parse(body, r);
    EXPECT_TRUE(e.ok()) << e.message() << "\n" << body;
    return r;
  }

  std::string encoded(std::string_view body, body_format format) {
    std::string out;
    encode(parse(body), format, out);
    return out;
  }

  report_parser parser_;
};

constexpr std::string_view small = R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496", "FPort": 17,
  "LrrRSSI": -67, "MeanPER": 1.50, "Late": false, "X": null, "CustomerID": "100002167"}})";

TEST_F(encoders, writes_compact_json_with_numbers_as_numbers) {
  EXPECT_EQ(encoded(small, body_format::json),
            R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":17,"LrrRSSI":-67,)"
            R"("MeanPER":1.50,"Late":false,"X":null,"CustomerID":"100002167"}})");
}

TEST_F(encoders, sends_the_counters_and_port_as_numbers_even_when_given_as_strings) {
  constexpr std::string_view quoted =
      R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":"017","FCntUp":"18",)"
      R"("LrrRSSI":"-67","CustomerID":"100002167","payload_hex":"00"}})";
  report r = parse(quoted);
  EXPECT_FALSE(r.is_compact_json());  // the output differs from the source
  EXPECT_EQ(r.fields().fport, "17");  // the token covers what the AS receives
  EXPECT_EQ(r.fields().fcnt_up, "18");
  std::string out;
  encode_json(r, out);
  // Only the fields known to be numbers are retyped; the others go as given.
  EXPECT_EQ(out, R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":17,"FCntUp":18,)"
                 R"("LrrRSSI":"-67","CustomerID":"100002167","payload_hex":"00"}})");
  // XML carries no types: the same fields come out of it as numbers too.
  std::string xml;
  encode_xml(r, xml);
  std::string from_xml;
  encode_json(parse(xml), from_xml);
  EXPECT_NE(from_xml.find(R"("FPort":17,"FCntUp":18,)"), std::string::npos) << from_xml;
  EXPECT_NE(from_xml.find(R"("CustomerID":"100002167")"), std::string::npos) << from_xml;
}

TEST_F(encoders, writes_every_scalar_as_a_string_in_json_untyped) {
  EXPECT_EQ(encoded(small, body_format::json_untyped),
            R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":"17","LrrRSSI":"-67",)"
            R"("MeanPER":"1.50","Late":"false","X":"","CustomerID":"100002167"}})");
}

TEST_F(encoders, keeps_the_shape_of_objects_and_arrays_in_json_untyped) {
  std::string out = encoded(R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496",
      "Lrrs": {"Lrr": [{"Chain": 0}, {"Chain": 1}]}}})",
                            body_format::json_untyped);
  EXPECT_NE(out.find(R"("Lrrs":{"Lrr":[{"Chain":"0"},{"Chain":"1"}]})"), std::string::npos) << out;
}

TEST_F(encoders, writes_xml_with_declaration_namespace_and_one_element_per_field) {
  EXPECT_EQ(
      encoded(small, body_format::xml),
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<DevEUI_uplink xmlns=\"http://uri.actility.com/lora\"><DevEUI>20635F0108000496</DevEUI>"
      "<FPort>17</FPort><LrrRSSI>-67</LrrRSSI><MeanPER>1.50</MeanPER><Late>false</Late><X/>"
      "<CustomerID>100002167</CustomerID></DevEUI_uplink>");
}

TEST_F(encoders, escapes_xml_special_characters_in_text) {
  std::string out =
      encoded(R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496", "Note": "<a & b> \"q\" 'a'"}})",
              body_format::xml);
  EXPECT_NE(out.find("<Note>&lt;a &amp; b&gt; &quot;q&quot; &apos;a&apos;</Note>"),
            std::string::npos)
      << out;
}

TEST_F(encoders, writes_an_array_as_one_element_per_item) {
  std::string out = encoded(R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496",
      "Lrrs": {"Lrr": [{"Lrrid": "A", "Chain": 0}, {"Lrrid": "B", "Chain": 1}]}}})",
                            body_format::xml);
  EXPECT_NE(out.find("<Lrrs><Lrr><Lrrid>A</Lrrid><Chain>0</Chain></Lrr>"
                     "<Lrr><Lrrid>B</Lrrid><Chain>1</Chain></Lrr></Lrrs>"),
            std::string::npos)
      << out;
}

TEST_F(encoders, carries_customer_data_and_driver_cfg_as_json_text_in_xml) {
  std::string out = encoded(R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496",
      "CustomerData": {"alr": {"pro": "A<B", "ver": "1"}, "n": [1, 2.50]},
      "DriverCfg": {"mod": {"pId": "abeeway"}}}})",
                            body_format::xml);
  EXPECT_NE(out.find("<CustomerData>{&quot;alr&quot;:{&quot;pro&quot;:&quot;A&lt;B&quot;,"
                     "&quot;ver&quot;:&quot;1&quot;},&quot;n&quot;:[1,2.50]}</CustomerData>"),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find("<DriverCfg>{&quot;mod&quot;:{&quot;pId&quot;:&quot;abeeway&quot;}}</DriverCfg>"),
      std::string::npos)
      << out;
}

TEST_F(encoders, re_escapes_strings_in_json) {
  std::string out = encoded(
      R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496", "Note": "a\"b\\c\n\u0001\u00e9"}})",
      body_format::json);
  EXPECT_NE(out.find(R"("Note":"a\"b\\c\n\u0001)"
                     "\xc3\xa9\""),
            std::string::npos)
      << out;
}

TEST_F(encoders, appends_to_the_buffer_without_clearing_it) {
  std::string out = "prefix:";
  encode_json(parse(small), out);
  EXPECT_EQ(out.rfind("prefix:{\"DevEUI_uplink\"", 0), 0u);
}

TEST_F(encoders, round_trips_a_full_uplink_through_xml) {
  report original = parse(samples::v1_uplink_json);
  std::string xml;
  encode_xml(original, xml);
  report back = parse(xml);
  EXPECT_EQ(back.type(), original.type());
  EXPECT_EQ(back.fields().customer_id, original.fields().customer_id);
  EXPECT_EQ(back.fields().dev_eui, original.fields().dev_eui);
  EXPECT_EQ(back.fields().fport, original.fields().fport);
  EXPECT_EQ(back.fields().fcnt_up, original.fields().fcnt_up);
  EXPECT_EQ(back.fields().payload_hex, original.fields().payload_hex);
  // The whole tree survives, up to the types XML does not carry.
  std::string from_original;
  std::string from_xml;
  encode_json_untyped(original, from_original);
  encode_json_untyped(back, from_xml);
  EXPECT_EQ(from_xml, from_original);
}

TEST_F(encoders, round_trips_a_full_uplink_through_json_untyped) {
  report original = parse(samples::v1_uplink_json);
  std::string untyped;
  encode_json_untyped(original, untyped);
  report back = parse(untyped);
  EXPECT_EQ(back.fields().fport, "17");
  EXPECT_EQ(back.fields().fcnt_up, "18");
  EXPECT_EQ(back.fields().payload_hex, original.fields().payload_hex);
  EXPECT_EQ(back.find("LrrRSSI")->text, "-67.000000");
  std::string again;
  encode_json_untyped(back, again);
  EXPECT_EQ(again, untyped);
}

TEST_F(encoders, round_trips_a_full_uplink_through_json) {
  report original = parse(samples::v1_uplink_json);
  std::string json;
  encode_json(original, json);
  report back = parse(json);
  std::string again;
  encode_json(back, again);
  EXPECT_EQ(again, json);
}

TEST_F(encoders, round_trips_escaped_text_through_xml) {
  report original = parse(R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496",
      "Note": "<&>\"' tab\there\r\nend", "CustomerData": {"q": "a\"<b>&c"}}})");
  std::string xml;
  encode_xml(original, xml);
  report back = parse(xml);
  EXPECT_EQ(back.find("Note")->text, "<&>\"' tab\there\r\nend");
  EXPECT_EQ(back.find("CustomerData")[1].text, "a\"<b>&c");
}

TEST_F(encoders, escapes_text_read_from_xml_when_writing_json) {
  std::string out = encoded(
      "<DevEUI_uplink><DevEUI>20635F0108000496</DevEUI><Note>a&quot;b\\c&#9;</Note>"
      "</DevEUI_uplink>",
      body_format::json);
  EXPECT_NE(out.find(R"("Note":"a\"b\\c\t")"), std::string::npos) << out;
}

TEST_F(encoders, round_trips_customer_data_text_that_looks_like_json_through_xml) {
  report original =
      parse(R"({"DevEUI_uplink": {"DevEUI": "20635F0108000496", "CustomerData": "{not json"}})");
  std::string xml;
  encode_xml(original, xml);
  EXPECT_EQ(parse(xml).find("CustomerData")->text, "{not json");
}

// A compact JSON body is copied as it is: the copy must be exactly what the writer produces.
TEST_F(encoders, copies_compact_json_only_when_the_writer_would_write_the_same_bytes) {
  std::vector<std::string> compact;
  using namespace samples;
  for (std::string_view body :
       {v1_uplink_json, downlink_sent_json, notification_json, location_json, small}) {
    compact.push_back(encoded(body, body_format::json));  // the writer's own form
  }
  for (const auto& body : compact) {
    report r = parse(body);
    ASSERT_TRUE(r.is_compact_json()) << body;
    std::string copied;
    encode_json(r, copied);
    EXPECT_EQ(copied, body);
    // The same document with whitespace goes through the writer, which gives the same bytes.
    std::string spaced = body;
    spaced.insert(spaced.find(':') + 1, " \n\t");
    report slow = parse(spaced);
    EXPECT_FALSE(slow.is_compact_json());
    std::string written;
    encode_json(slow, written);
    EXPECT_EQ(written, body);
  }
}

TEST_F(encoders, writes_json_with_escapes_or_from_xml_through_the_writer) {
  report escaped =
      parse(R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","Note":"caf\u00e9 \/"}})");
  EXPECT_FALSE(escaped.is_compact_json());
  std::string out;
  encode_json(escaped, out);
  EXPECT_EQ(out, "{\"DevEUI_uplink\":{\"DevEUI\":\"20635F0108000496\",\"Note\":\"caf\u00e9 /\"}}");
  std::string xml;
  encode_xml(parse(small), xml);
  report from_xml = parse(xml);
  EXPECT_FALSE(from_xml.is_compact_json());
  EXPECT_FALSE(parse(samples::v1_uplink_json).is_compact_json());  // pretty-printed
}

TEST_F(encoders, compactness_check_sees_a_space_or_backslash_at_any_position) {
  for (std::size_t size = 2; size <= 40; ++size) {
    for (std::size_t at = 1; at < size; ++at) {
      for (char bad : {' ', '\n', '\\'}) {
        std::string text(size, 'a');
        text[0] = '{';
        text[at] = bad;
        text.append(64, '\0');  // padding, as in a report's copy: zeros are not seen
        EXPECT_FALSE(detail::is_compact_json({text.data(), size})) << size << " " << at;
        text[at] = 'a';
        EXPECT_TRUE(detail::is_compact_json({text.data(), size})) << size;
      }
    }
  }
}

TEST_F(encoders, names_the_content_type_of_each_format) {
  EXPECT_EQ(content_type(body_format::json), "application/json");
  EXPECT_EQ(content_type(body_format::json_untyped), "application/json");
  EXPECT_EQ(content_type(body_format::xml), "application/xml");
}

}  // namespace
}  // namespace tr::codecs
