#include <gtest/gtest.h>

#include <string>

#include "codecs/report_parser.hpp"

namespace tr::codecs {
namespace {

constexpr std::string_view open = "<DevEUI_uplink xmlns=\"http://uri.actility.com/lora\">";
constexpr std::string_view close = "</DevEUI_uplink>";
constexpr std::string_view dev_eui = "<DevEUI>20635F0108000496</DevEUI>";

std::string body(std::string_view fields) {
  return std::string(open) + std::string(dev_eui) + std::string(fields) + std::string(close);
}

report parse_ok(std::string_view xml) {
  report_parser parser;
  report r;
  error e = parser.parse_xml(xml, r);
  EXPECT_TRUE(e.ok()) << e.message();
  return r;
}

TEST(xml_reader, accepts_a_declaration_comments_and_whitespace_between_elements) {
  report r = parse_ok("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- pushed -->\n" +
                      body("\n  <FPort>17</FPort>\n  <!-- c -->\n  <FCntUp>18</FCntUp>\n") + "\n");
  EXPECT_EQ(r.fields().fport, "17");
  EXPECT_EQ(r.fields().fcnt_up, "18");
}

TEST(xml_reader, decodes_the_five_entities_and_numeric_references) {
  report r = parse_ok(body("<Note>&lt;&amp;&gt;&quot;&apos; &#65;&#x42;&#xe9;&#x1F600;</Note>"));
  EXPECT_EQ(r.find("Note")->text, "<&>\"' AB\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(xml_reader, reads_cdata_as_text) {
  report r = parse_ok(body("<Note><![CDATA[a<b&c]]></Note>"));
  EXPECT_EQ(r.find("Note")->text, "a<b&c");
}

TEST(xml_reader, a_comment_closes_only_after_its_opening) {
  // "<!--->" does not close itself: the comment runs to the next "-->".
  report r = parse_ok(body("<Note>a<!--->b-->c</Note>"));
  EXPECT_EQ(r.find("Note")->text, "ac");
}

TEST(xml_reader, normalizes_line_ends_in_text) {
  report r = parse_ok(body("<Note>a\r\nb\rc&#13;</Note>"));
  EXPECT_EQ(r.find("Note")->text, "a\nb\nc\r");
}

TEST(xml_reader, reads_an_empty_element_as_an_empty_string) {
  report r = parse_ok(body("<A/><B></B>"));
  EXPECT_EQ(r.find("A")->kind, node_kind::string);
  EXPECT_EQ(r.find("A")->text, "");
  EXPECT_EQ(r.find("B")->text, "");
}

TEST(xml_reader, groups_repeated_elements_into_an_array) {
  report r = parse_ok(body("<Tags><Tag>a</Tag><Tag>b</Tag><Tag>c</Tag></Tags>"));
  const node* tags = r.find("Tags");
  ASSERT_EQ(tags[1].kind, node_kind::array);
  EXPECT_EQ(tags[1].key, "Tag");
  EXPECT_EQ(tags[1].end - static_cast<std::uint32_t>(&tags[1] - r.nodes().data()), 4u);
  EXPECT_EQ(tags[2].text, "a");
  EXPECT_EQ(tags[4].text, "c");
  EXPECT_TRUE(tags[4].key.empty());
}

TEST(xml_reader, reads_a_single_lrr_as_an_array_of_one) {
  report r = parse_ok(body("<Lrrs><Lrr><Lrrid>FF0109A4</Lrrid></Lrr></Lrrs>"));
  const node* lrrs = r.find("Lrrs");
  ASSERT_EQ(lrrs[1].kind, node_kind::array);
  EXPECT_EQ(lrrs[2].kind, node_kind::object);
  EXPECT_EQ(lrrs[3].text, "FF0109A4");
}

TEST(xml_reader, reads_customer_data_json_text_as_a_subtree) {
  report r =
      parse_ok(body("<CustomerData>{&quot;alr&quot;:{&quot;pro&quot;:&quot;X&quot;},"
                    "\"n\":1.50}</CustomerData>"));
  const node* data = r.find("CustomerData");
  ASSERT_EQ(data->kind, node_kind::object);
  EXPECT_EQ(data[1].key, "alr");
  EXPECT_EQ(data[2].text, "X");
  EXPECT_EQ(data[3].text, "1.50");
  EXPECT_EQ(data[3].kind, node_kind::number);
}

TEST(xml_reader, keeps_customer_data_that_is_not_json_as_text) {
  report r = parse_ok(body("<CustomerData>plain</CustomerData>"));
  EXPECT_EQ(r.find("CustomerData")->text, "plain");
}

TEST(xml_reader, keeps_customer_data_that_is_not_valid_json_as_text) {
  report r = parse_ok(body("<CustomerData>{oops: [1</CustomerData><FPort>2</FPort>"));
  EXPECT_EQ(r.find("CustomerData")->kind, node_kind::string);
  EXPECT_EQ(r.find("CustomerData")->text, "{oops: [1");
  EXPECT_EQ(r.fields().fport, "2");
}

TEST(xml_reader, accepts_single_quoted_attributes_and_a_byte_order_mark) {
  report r = parse_ok("\xEF\xBB\xBF<DevEUI_location xmlns='http://uri.actility.com/lora' a=\"1\">" +
                      std::string(dev_eui) + "</DevEUI_location>");
  EXPECT_EQ(r.type(), report_type::location);
}

}  // namespace
}  // namespace tr::codecs
