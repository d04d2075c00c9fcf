// The hex check of DevEUI and payload_hex, which takes 16 bytes at a time when it can.
#include "codecs/detail/hex.hpp"

#include <gtest/gtest.h>

#include <string>

#include "codecs/report_parser.hpp"

namespace tr::codecs {
namespace {

constexpr std::string_view all_digits = "0123456789abcdefABCDEF";

std::string hex_text(std::size_t size) {
  std::string text;
  for (std::size_t i = 0; i < size; ++i) text += all_digits[(i * 7) % all_digits.size()];
  return text;
}

TEST(hex, accepts_hex_digits_of_either_case_at_any_length) {
  EXPECT_TRUE(detail::is_hex(""));
  for (std::size_t size = 1; size <= 70; ++size) EXPECT_TRUE(detail::is_hex(hex_text(size)));
  EXPECT_TRUE(detail::is_hex(all_digits));
}

TEST(hex, refuses_a_non_hex_byte_at_every_position) {
  const std::string bad_bytes = std::string("gGzZ/:@`\x7f\x80\xff \n") + '\0';
  for (std::size_t size : {1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 49, 102}) {
    for (std::size_t at = 0; at < size; ++at) {
      for (char bad : bad_bytes) {
        std::string text = hex_text(size);
        text[at] = bad;
        EXPECT_FALSE(detail::is_hex(text)) << size << ' ' << at << ' ' << int(bad);
      }
    }
  }
}

TEST(hex, is_usable_in_constant_expressions) {
  static_assert(detail::is_hex("0123456789abcdefABCDEF"));
  static_assert(!detail::is_hex("0123456789abcdefg"));
}

std::string parse_message(std::string_view body) {
  report_parser parser;
  report r;
  error e = parser.parse_json(body, r);
  return e.ok() ? "ok" : std::string(e.message());
}

TEST(hex, refuses_a_dev_eui_with_a_non_hex_digit_at_any_position) {
  for (std::size_t at = 0; at < 16; ++at) {
    std::string dev_eui = hex_text(16);
    dev_eui[at] = 'g';
    EXPECT_EQ(parse_message(R"({"DevEUI_uplink":{"DevEUI":")" + dev_eui + "\"}}"),
              "DevEUI must be 16 hex digits");
  }
  EXPECT_EQ(parse_message(R"({"DevEUI_uplink":{"DevEUI":")" + hex_text(16) + "\"}}"), "ok");
}

TEST(hex, refuses_a_payload_of_odd_length_or_with_a_non_hex_digit) {
  auto body = [](const std::string& payload) {
    return R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","payload_hex":")" + payload + "\"}}";
  };
  for (std::size_t size : {1, 15, 17, 33, 101}) {
    EXPECT_EQ(parse_message(body(hex_text(size))),
              "payload_hex must be an even number of hex digits");
  }
  for (std::size_t size : {2, 16, 32, 34, 102}) {
    EXPECT_EQ(parse_message(body(hex_text(size))), "ok");
    for (std::size_t at = 0; at < size; ++at) {
      std::string payload = hex_text(size);
      payload[at] = 'x';
      EXPECT_EQ(parse_message(body(payload)), "payload_hex must be an even number of hex digits");
    }
  }
}

}  // namespace
}  // namespace tr::codecs
