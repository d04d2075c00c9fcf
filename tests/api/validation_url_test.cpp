#include <gtest/gtest.h>

#include "api/detail/uri.hpp"
#include "api/validation.hpp"
#include "tests/support/test_names.hpp"

namespace tr::api {
namespace {

/// The url error of a form that is valid except for its url, or "" when accepted.
std::string url_error(const std::string& url, bool allow_http = false) {
  connection_form form;
  form.name = "n";
  form.url = url;
  form.content_type = "XML";
  form.as_id = "AS";
  auto checked = validate_connection(form, {allow_http});
  if (checked.ok()) return "";
  EXPECT_EQ(checked.errors.size(), 1u);
  EXPECT_EQ(checked.errors[0].field, "url");
  return checked.errors[0].message;
}

struct url_case {
  const char* url;
  const char* expected;  ///< a part of the message
};

/// How a case shows in test output: its URL and the expected part of the message.
void PrintTo(const url_case& c, std::ostream* out) {
  *out << '"' << c.url << "\" refused with \"" << c.expected << '"';
}

class rejected_url : public ::testing::TestWithParam<url_case> {};

TEST_P(rejected_url, is_refused_with_a_reason) {
  auto message = url_error(GetParam().url);
  EXPECT_NE(message.find(GetParam().expected), std::string::npos)
      << GetParam().url << " -> " << message;
}

INSTANTIATE_TEST_SUITE_P(
    bad_urls, rejected_url,
    ::testing::Values(
        url_case{"/uplink", "relative"}, url_case{"as.example.com/uplink", "relative"},
        url_case{"//as.example.com/uplink", "relative"}, url_case{"https:/uplink", "no host"},
        url_case{"https:///uplink", "no host"}, url_case{"https://user@/uplink", "no host"},
        url_case{"ftp://as.example.com/", "must use https"},
        url_case{"http://as.example.com/", "as.allow_http"},
        url_case{"https://as.example.com/up link", "space"},
        url_case{" https://as.example.com/", "relative"},
        url_case{"https://as example.com/", "space"},
        url_case{"https://as.example.com/%zz", "percent-escape"},
        url_case{"https://as.example.com/a%2", "percent-escape"},
        url_case{"https://as.example.com/?q=%G0", "percent-escape"},
        url_case{"https://as.example.com:99999/", "port"},
        url_case{"https://as.example.com:0/", "port"}, url_case{"https://as.example.com:/", "port"},
        url_case{"https://as.example.com:8a/", "port"}, url_case{"https://[::1/", "']'"},
        url_case{"https://[1:2:3]/", "IPv6"}, url_case{"https://[fe80::1%25eth0]/", "IPv6"},
        url_case{"https://user:p@ss@as.example.com/", "%40"},
        url_case{"https://as.example.com/#top", "fragment"},
        url_case{"https://as.example.com/caf\xc3\xa9", "\\xC3"},
        url_case{"https://as.example.com/a\"b", "'\"'"},
        url_case{"https://as.example.com/<x>", "'<'"}, url_case{"https://[v1.x]/", "IPvFuture"},
        url_case{"", "mandatory"}),
    [](const auto& info) { return test::readable_test_name(info.index, info.param.url); });

class accepted_url : public ::testing::TestWithParam<const char*> {};

TEST_P(accepted_url, passes) {
  EXPECT_EQ(url_error(GetParam()), "") << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    good_urls, accepted_url,
    ::testing::Values("https://as.example.com", "https://as.example.com/uplink",
                      "HTTPS://AS.example.com/", "https://user:pass%40word@as.example.com/up",
                      "https://user@as.example.com:8443/", "https://[::1]:8443/uplink",
                      "https://[2001:db8::7]/", "https://[::ffff:192.0.2.1]/",
                      "https://[1:2:3:4:5:6:7:8]/", "https://192.0.2.10:443/",
                      "https://as.example.com/up?customer=7&x=a%20b",
                      "https://as.example.com/a;b=c/d:e@f", "https://as.example.com/?",
                      "https://as.example.com:65535/", "https://sub_domain.example.com/"),
    [](const auto& info) { return test::readable_test_name(info.index, info.param); });

TEST(url_validation, http_is_accepted_when_the_operator_allows_it) {
  EXPECT_EQ(url_error("http://127.0.0.1:8080/uplink", true), "");
  EXPECT_NE(url_error("ftp://127.0.0.1/", true).find("https or http"), std::string::npos);
}

TEST(url_validation, rejects_urls_longer_than_2048_characters) {
  std::string base = "https://as.example.com/";
  EXPECT_EQ(url_error(base + std::string(2048 - base.size(), 'a')), "");
  EXPECT_NE(url_error(base + std::string(2049 - base.size(), 'a')), "");
}

TEST(uri_parser, splits_an_absolute_uri_into_its_components) {
  auto parsed = detail::parse_uri("https://u:p@[2001:db8::1]:8443/a/b?x=1&y=2#frag");
  ASSERT_TRUE(parsed.value) << parsed.error;
  EXPECT_EQ(parsed.value->scheme, "https");
  EXPECT_EQ(parsed.value->userinfo, "u:p");
  EXPECT_EQ(parsed.value->host, "2001:db8::1");
  EXPECT_EQ(parsed.value->kind, detail::host_kind::ipv6);
  EXPECT_EQ(parsed.value->port, "8443");
  EXPECT_EQ(parsed.value->path, "/a/b");
  EXPECT_EQ(parsed.value->query, "x=1&y=2");
  EXPECT_EQ(parsed.value->fragment, "frag");
}

TEST(uri_parser, accepts_uris_without_authority) {
  auto parsed = detail::parse_uri("urn:isbn:0451450523");
  ASSERT_TRUE(parsed.value);
  EXPECT_FALSE(parsed.value->has_authority);
  EXPECT_EQ(parsed.value->path, "isbn:0451450523");
}

TEST(uri_parser, tells_ipv4_addresses_from_reg_names) {
  EXPECT_EQ(detail::parse_uri("https://10.0.0.1/").value->kind, detail::host_kind::ipv4);
  EXPECT_EQ(detail::parse_uri("https://10.0.0.256/").value->kind, detail::host_kind::reg_name);
  EXPECT_EQ(detail::parse_uri("https://10.0.0.01/").value->kind, detail::host_kind::reg_name);
}

TEST(uri_parser, knows_the_ipv6_grammar) {
  for (auto good : {"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
                    "1:2:3:4:5:6:1.2.3.4", "::ffff:1.2.3.4", "fe80::abcd:1"})
    EXPECT_TRUE(detail::is_ipv6_address(good)) << good;
  for (auto bad : {"", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::",
                   "1:2:3:4:5:6:7:8::", "1.2.3.4::", "::1.2.3", "g::1", ":1:2:3:4:5:6:7"})
    EXPECT_FALSE(detail::is_ipv6_address(bad)) << bad;
}

}  // namespace
}  // namespace tr::api
