#include "codecs/signing_key.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tr::codecs {
namespace {

TEST(signing_key, normalizes_a_key_to_lower_case) {
  auto key = signing_key::parse("46AB678CD45DF4A4E4B375EACD096ACC");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->text(), "46ab678cd45df4a4e4b375eacd096acc");
}

TEST(signing_key, keeps_a_verbatim_key_as_given) {
  auto key = signing_key::verbatim("46ab678cd45df4a4e4b375Eacd096acc");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->text(), "46ab678cd45df4a4e4b375Eacd096acc");
}

TEST(signing_key, generates_32_lower_case_hex_digits) {
  auto key = signing_key::generate();
  ASSERT_TRUE(key.ok());
  ASSERT_EQ(key->text().size(), 32u);
  for (char c : key->text()) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
}

TEST(signing_key, generates_a_different_key_each_time) {
  std::set<std::string> keys;
  for (int i = 0; i < 50; ++i) keys.insert(std::string(signing_key::generate()->text()));
  EXPECT_EQ(keys.size(), 50u);
}

TEST(signing_key, compares_equal_after_normalization) {
  EXPECT_EQ(signing_key::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").value(),
            signing_key::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").value());
}

}  // namespace
}  // namespace tr::codecs
