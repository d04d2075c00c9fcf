#include "codecs/query.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/codecs/sample_reports.hpp"

namespace tr::codecs {
namespace {

std::string encoded(std::string_view text) {
  std::string out;
  percent_encode(text, out);
  return out;
}

std::string decoded(std::string_view text) {
  std::string out;
  EXPECT_TRUE(percent_decode(text, out).ok());
  return out;
}

uplink_query v1_query() {
  return {"20635F0108000496", "17", "TWA_100002167.1111.AS-1-111974", "TWA_100002167.1111.AS",
          "2021-04-07T08:49:51.551+00:00"};
}

TEST(percent_encode, encodes_everything_outside_the_unreserved_set) {
  EXPECT_EQ(encoded("2021-04-07T08:49:51.551+00:00"), "2021-04-07T08%3A49%3A51.551%2B00%3A00");
  EXPECT_EQ(encoded("aZ09-._~ /?&=%\xc3\xa9"), "aZ09-._~%20%2F%3F%26%3D%25%C3%A9");
}

TEST(percent_decode, keeps_a_plus_as_a_plus) {
  EXPECT_EQ(decoded("14:28:00.333+02:00"), "14:28:00.333+02:00");
  EXPECT_EQ(decoded("a%2Bb%2bc+d"), "a+b+c+d");
}

TEST(percent_decode, reverses_percent_encode) {
  std::string text = "x y/\xc3\xa9%&=+";
  EXPECT_EQ(decoded(encoded(text)), text);
}

TEST(uplink_query, is_written_in_canonical_order_and_percent_encoded) {
  std::string out;
  append_uplink_query(v1_query(), out);
  EXPECT_EQ(out,
            "LrnDevEui=20635F0108000496&LrnFPort=17&LrnInfos=TWA_100002167.1111.AS-1-111974"
            "&AS_ID=TWA_100002167.1111.AS&Time=2021-04-07T08%3A49%3A51.551%2B00%3A00");
}

TEST(uplink_query, starts_the_query_of_a_url_without_one) {
  std::string out;
  append_uplink_url("https://as.example.com/up", v1_query(), "abc", out);
  EXPECT_EQ(out.rfind("https://as.example.com/up?LrnDevEui=", 0), 0u);
  EXPECT_TRUE(out.ends_with("%3A00&Token=abc")) << out;
}

TEST(uplink_query, is_appended_with_an_ampersand_to_a_url_with_a_query) {
  std::string out;
  append_uplink_url("https://as.example.com/up?tenant=7#frag", v1_query(), "abc", out);
  EXPECT_EQ(out.rfind("https://as.example.com/up?tenant=7&LrnDevEui=", 0), 0u) << out;
  EXPECT_EQ(out.find('#'), std::string::npos);
}

TEST(uplink_query, reads_parameters_in_any_order_encoded_or_not_ignoring_token) {
  uplink_query q;
  std::string storage;
  ASSERT_TRUE(parse_uplink_query("?Time=2021-04-07T08%3A49%3A51.551%2B00%3A00&Token=ff&AS_ID=TWA_"
                                 "100002167.1111.AS&LrnFPort=17&LrnInfos=TWA_100002167.1111.AS-1-"
                                 "111974&LrnDevEui=20635F0108000496",
                                 q, storage)
                  .ok());
  EXPECT_EQ(q.dev_eui, "20635F0108000496");
  EXPECT_EQ(q.fport, "17");
  EXPECT_EQ(q.infos, "TWA_100002167.1111.AS-1-111974");
  EXPECT_EQ(q.as_id, "TWA_100002167.1111.AS");
  EXPECT_EQ(q.time, "2021-04-07T08:49:51.551+00:00");
}

TEST(uplink_query, names_a_missing_parameter) {
  uplink_query q;
  std::string storage;
  error e = parse_uplink_query("LrnDevEui=1&LrnFPort=2&LrnInfos=3&Time=4", q, storage);
  EXPECT_EQ(e.code(), errc::invalid_query);
  EXPECT_NE(e.message().find("AS_ID"), std::string_view::npos) << e.message();
}

TEST(downlink_query, splits_at_a_final_token) {
  downlink_query_parts parts;
  std::string query =
      std::string(samples::v3_wire_query) + "&Token=" + std::string(samples::v3_token);
  ASSERT_TRUE(split_downlink_query(query, parts).ok());
  EXPECT_EQ(parts.signed_part, samples::v3_wire_query);
  EXPECT_EQ(parts.token, samples::v3_token);
}

TEST(downlink_query, signs_the_whole_query_when_it_has_no_token) {
  downlink_query_parts parts;
  ASSERT_TRUE(split_downlink_query(samples::v3_wire_query, parts).ok());
  EXPECT_EQ(parts.signed_part, samples::v3_wire_query);
  EXPECT_TRUE(parts.token.empty());
}

TEST(downlink_query, refuses_parameters_after_the_token) {
  downlink_query_parts parts;
  EXPECT_EQ(split_downlink_query("DevEUI=1&Token=ab&FPort=2", parts).code(), errc::invalid_query);
}

TEST(next_query_param, splits_names_and_raw_values_in_order) {
  std::string_view rest = "a=1&b&c=%3D=";
  std::string_view name;
  std::string_view value;
  ASSERT_TRUE(next_query_param(rest, name, value));
  EXPECT_EQ(name, "a");
  EXPECT_EQ(value, "1");
  ASSERT_TRUE(next_query_param(rest, name, value));
  EXPECT_EQ(name, "b");
  EXPECT_EQ(value, "");
  ASSERT_TRUE(next_query_param(rest, name, value));
  EXPECT_EQ(name, "c");
  EXPECT_EQ(value, "%3D=");
  EXPECT_FALSE(next_query_param(rest, name, value));
}

}  // namespace
}  // namespace tr::codecs
