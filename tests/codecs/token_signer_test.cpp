#include "codecs/token_signer.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <string>

#include "codecs/report_parser.hpp"
#include "tests/codecs/sample_reports.hpp"

namespace tr::codecs {
namespace {

/// SHA-256 of `text` as lower-case hex, computed independently of the signer.
std::string sha256_hex(std::string_view text) {
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned char b : digest) {
    hex.push_back("0123456789abcdef"[b >> 4]);
    hex.push_back("0123456789abcdef"[b & 15]);
  }
  return hex;
}

uplink_query v1_query() {
  return {"20635F0108000496", "17", "TWA_100002167.1111.AS-1-111974", "TWA_100002167.1111.AS",
          "2021-04-07T08:49:51.551+00:00"};
}

std::string sign(token_signer& signer, const token_fields& body, const uplink_query& query) {
  std::array<char, token_size> out{};
  EXPECT_TRUE(signer.sign_uplink(body, query, out).ok());
  return std::string(out.data(), out.size());
}

token_signer signer_for(std::string_view key_text) {
  return token_signer(signing_key::parse(key_text).value());
}

TEST(token_signer, reproduces_published_vector_v1_from_a_parsed_report) {
  report_parser parser;
  report r;
  ASSERT_TRUE(parser.parse_json(samples::v1_uplink_json, r).ok());
  token_signer signer = signer_for(samples::v1_key);
  EXPECT_EQ(sign(signer, r.fields(), v1_query()), samples::v1_token);
}

TEST(token_signer, reproduces_published_vector_v2_with_the_key_text_verbatim) {
  token_signer signer(signing_key::verbatim(samples::v2_v3_key).value());
  token_fields body{report_type::uplink, "100000507", "000000000F1D8693", "2", "7011", {},
                    "0027bd00"};
  uplink_query query{"000000000F1D8693", "2", "UPHTTP_LAB_LORA", "app1.sample.com",
                     "2016-01-11T14:11:11.333+02:00"};
  EXPECT_EQ(sign(signer, body, query), samples::v2_token);
}

TEST(token_signer, reproduces_published_vector_v3_from_the_wire_query_in_received_order) {
  token_signer signer(signing_key::verbatim(samples::v2_v3_key).value());
  std::array<char, token_size> out{};
  ASSERT_TRUE(signer.sign_downlink(samples::v3_wire_query, out).ok());
  EXPECT_EQ(std::string_view(out.data(), out.size()), samples::v3_token);
}

TEST(token_signer, hashes_the_decoded_downlink_query_followed_by_the_key) {
  token_signer signer = signer_for("0123456789abcdef0123456789ABCDEF");
  std::array<char, token_size> out{};
  ASSERT_TRUE(signer.sign_downlink(samples::v3_wire_query, out).ok());
  EXPECT_EQ(std::string_view(out.data(), out.size()),
            sha256_hex(std::string(samples::v3_hashed) + "0123456789abcdef0123456789abcdef"));
}

TEST(token_signer, signs_a_downlink_sent_report_over_fport_and_fcntdn) {
  report_parser parser;
  report r;
  ASSERT_TRUE(parser.parse_json(samples::downlink_sent_json, r).ok());
  token_signer signer = signer_for(samples::v1_key);
  std::string expected = sha256_hex(std::string("100002167") + "20635F0108000496" + "2" + "8" +
                                    "LrnDevEui=20635F0108000496&LrnFPort=17&LrnInfos=TWA_100002167"
                                    ".1111.AS-1-111974&AS_ID=TWA_100002167.1111.AS&Time=2021-04-0"
                                    "7T08:49:51.551+00:00" +
                                    std::string(samples::v1_key));
  EXPECT_EQ(sign(signer, r.fields(), v1_query()), expected);
}

TEST(token_signer, signs_a_location_report_over_the_lower_case_dev_eui) {
  report_parser parser;
  report r;
  ASSERT_TRUE(parser.parse_json(samples::location_json, r).ok());
  token_signer signer = signer_for(samples::v1_key);
  std::string expected = sha256_hex(
      "100002167"
      "20635f0108000496" +
      std::string(samples::v1_query) + std::string(samples::v1_key));
  EXPECT_EQ(sign(signer, r.fields(), v1_query()), expected);
}

TEST(token_signer, signs_a_notification_over_customer_id_and_dev_eui) {
  report_parser parser;
  report r;
  ASSERT_TRUE(parser.parse_json(samples::notification_json, r).ok());
  token_signer signer = signer_for(samples::v1_key);
  std::string expected = sha256_hex(
      "100002167"
      "20635F0108000496" +
      std::string(samples::v1_query) + std::string(samples::v1_key));
  EXPECT_EQ(sign(signer, r.fields(), v1_query()), expected);
}

TEST(token_signer, counts_a_missing_fport_as_zero) {
  token_signer signer = signer_for(samples::v1_key);
  token_fields body{report_type::uplink, "1", "20635F0108000496", {}, "5", {}, "00"};
  std::string expected = sha256_hex(
      "1"
      "20635F0108000496"
      "0"
      "5"
      "00" +
      std::string(samples::v1_query) + std::string(samples::v1_key));
  EXPECT_EQ(sign(signer, body, v1_query()), expected);
}

TEST(token_signer, signs_messages_longer_than_its_gather_buffer) {
  token_signer signer = signer_for(samples::v1_key);
  std::string infos(1500, 'x');
  uplink_query query = v1_query();
  query.infos = infos;
  token_fields body{report_type::notification, "7", "20635F0108000496", {}, {}, {}, {}};
  std::string expected = sha256_hex(
      "7"
      "20635F0108000496"
      "LrnDevEui=20635F0108000496&LrnFPort=17"
      "&LrnInfos=" +
      infos +
      "&AS_ID=TWA_100002167.1111.AS&Time=2021-"
      "04-07T08:49:51.551+00:00" +
      std::string(samples::v1_key));
  EXPECT_EQ(sign(signer, body, query), expected);
}

TEST(token_signer, refuses_a_downlink_query_with_a_bad_percent_escape) {
  token_signer signer = signer_for(samples::v1_key);
  std::array<char, token_size> out{};
  EXPECT_EQ(signer.sign_downlink("DevEUI=%G1", out).code(), errc::invalid_percent_escape);
}

TEST(token_signer, stays_usable_after_being_moved) {
  token_signer first = signer_for(samples::v1_key);
  token_signer second = std::move(first);
  EXPECT_EQ(second.key().text(), samples::v1_key);
  EXPECT_EQ(sign(second, token_fields{}, v1_query()).size(), token_size);
}

TEST(tokens_equal, accepts_the_same_token_in_upper_case) {
  std::string upper(samples::v1_token);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(tokens_equal(samples::v1_token, upper));
}

TEST(tokens_equal, rejects_a_token_differing_in_one_digit_or_in_length) {
  std::string other(samples::v1_token);
  other[63] = other[63] == '0' ? '1' : '0';
  EXPECT_FALSE(tokens_equal(samples::v1_token, other));
  EXPECT_FALSE(tokens_equal(samples::v1_token, samples::v1_token.substr(0, 63)));
  EXPECT_FALSE(tokens_equal(samples::v1_token, ""));
}

}  // namespace
}  // namespace tr::codecs
