#include "actors/uplink_request.hpp"

#include <gtest/gtest.h>

#include "codecs/report_parser.hpp"

using namespace tr;
using tr::actors::build_uplink_request;
using tr::actors::connection_config;

namespace {

// V1, a real push (docs/protocol.md §2).
constexpr const char* v1_key = "f3203a20a2e8dfaf6686b621f56d05e3";
constexpr const char* v1_body =
    R"({"DevEUI_uplink":{"Time":"2021-04-07T08:49:51.3+00:00","DevEUI":"20635F0108000496",)"
    R"("FPort":17,"FCntUp":18,"payload_hex":"032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab",)"
    R"("LrrRSSI":-67.000000,"CustomerID":"100002167"}})";
constexpr const char* v1_token = "196c22898bf95fcf48b72be198c89256410660b9b514539651344baa594ad74f";

store::connection v1_connection(std::string url) {
  store::connection c;
  c.id = "0123456789abcdef";
  c.url = std::move(url);
  c.as_id = "TWA_100002167.1111.AS";
  c.key = v1_key;
  c.type = store::content_type::json;
  return c;
}

codecs::time_point v1_time() {
  return *codecs::parse_time("2021-04-07T08:49:51.551+00:00");
}

struct built {
  std::string target, body;
};

built build(const connection_config& cfg) {
  codecs::report_parser parser;
  codecs::report report;
  EXPECT_TRUE(parser.parse(v1_body, report).ok());
  codecs::token_signer signer{cfg.key};
  built b;
  auto err = build_uplink_request(cfg, signer, report, v1_time(), "TWA_100002167.1111.AS-1-111974",
                                  b.target, b.body);
  EXPECT_TRUE(err.ok()) << err.message();
  return b;
}

}  // namespace

TEST(uplink_request, signs_the_published_vector_v1) {
  auto made =
      actors::make_connection_config(v1_connection("https://as.example.com/lora/uplink"), {});
  ASSERT_TRUE(made.config) << made.error;
  auto b = build(*made.config);
  EXPECT_EQ(
      b.target,
      "/lora/uplink?LrnDevEui=20635F0108000496&LrnFPort=17&LrnInfos=TWA_100002167.1111.AS-1-111974"
      "&AS_ID=TWA_100002167.1111.AS&Time=2021-04-07T08%3A49%3A51.551%2B00%3A00&Token=" +
          std::string{v1_token});
}

TEST(uplink_request, appends_to_the_urls_own_query_with_an_ampersand) {
  auto made =
      actors::make_connection_config(v1_connection("https://as.example.com/up?tenant=7"), {});
  ASSERT_TRUE(made.config) << made.error;
  auto b = build(*made.config);
  EXPECT_EQ(b.target.rfind("/up?tenant=7&LrnDevEui=20635F0108000496&", 0), 0u) << b.target;
}

TEST(uplink_request, a_url_without_a_path_posts_to_the_root) {
  auto made = actors::make_connection_config(v1_connection("https://as.example.com:8443"), {});
  ASSERT_TRUE(made.config) << made.error;
  EXPECT_EQ(made.config->authority, "as.example.com:8443");
  EXPECT_EQ(made.config->port, 8443);
  EXPECT_EQ(build(*made.config).target.rfind("/?LrnDevEui=", 0), 0u);
}

TEST(uplink_request, the_body_is_encoded_in_the_connections_format) {
  auto c = v1_connection("https://as.example.com/");
  c.type = store::content_type::xml;
  auto made = actors::make_connection_config(c, {});
  ASSERT_TRUE(made.config);
  EXPECT_EQ(made.config->headers[0].value, "application/xml");
  auto b = build(*made.config);
  EXPECT_NE(b.body.find("<DevEUI_uplink xmlns=\"http://uri.actility.com/lora\">"),
            std::string::npos);
}

TEST(uplink_request, userinfo_becomes_basic_authorization_and_wins_over_a_custom_one) {
  auto c = v1_connection("https://alice:s%40cret@as.example.com/");
  c.headers = {{"Authorization", "Bearer custom"}, {"X-Tenant", "t1"}};
  auto made = actors::make_connection_config(c, {});
  ASSERT_TRUE(made.config) << made.error;
  const auto& h = made.config->headers;
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[1].name, "authorization");
  EXPECT_EQ(h[1].value, "Basic YWxpY2U6c0BjcmV0");  // alice:s@cret
  EXPECT_EQ(h[2].name, "x-tenant");
  EXPECT_EQ(made.config->authority, "as.example.com");
}

TEST(uplink_request, a_user_without_password_still_sends_the_colon) {
  auto made = actors::make_connection_config(v1_connection("https://alice@as.example.com/"), {});
  ASSERT_TRUE(made.config) << made.error;
  EXPECT_EQ(made.config->headers[1].value, "Basic YWxpY2U6");  // alice:
  auto empty = actors::make_connection_config(v1_connection("https://:pw@as.example.com/"), {});
  ASSERT_TRUE(empty.config) << empty.error;
  EXPECT_EQ(empty.config->headers[1].value, "Basic OnB3");  // :pw
}

TEST(uplink_request, a_custom_authorization_header_is_sent_without_userinfo) {
  auto c = v1_connection("https://as.example.com/");
  c.headers = {{"Authorization", "Bearer custom"}};
  auto made = actors::make_connection_config(c, {});
  ASSERT_TRUE(made.config);
  ASSERT_EQ(made.config->headers.size(), 2u);
  EXPECT_EQ(made.config->headers[1].value, "Bearer custom");
}

TEST(uplink_request, plain_http_needs_allow_http) {
  auto c = v1_connection("http://127.0.0.1:9000/up");
  EXPECT_FALSE(actors::make_connection_config(c, {}).config);
  actors::connection_defaults d;
  d.allow_http = true;
  auto made = actors::make_connection_config(c, d);
  ASSERT_TRUE(made.config) << made.error;
  EXPECT_FALSE(made.config->tls);
  EXPECT_EQ(made.config->port, 9000);
}

TEST(uplink_request, an_ipv6_literal_keeps_its_brackets_in_the_authority) {
  auto made = actors::make_connection_config(v1_connection("https://[::1]:8443/"), {});
  ASSERT_TRUE(made.config) << made.error;
  EXPECT_EQ(made.config->host, "::1");
  EXPECT_EQ(made.config->authority, "[::1]:8443");
}

TEST(uplink_request, a_report_without_fport_sends_zero) {
  auto made = actors::make_connection_config(v1_connection("https://as.example.com/"), {});
  ASSERT_TRUE(made.config);
  codecs::report_parser parser;
  codecs::report report;
  ASSERT_TRUE(
      parser
          .parse(R"({"DevEUI_notification":{"DevEUI":"20635F0108000496","CustomerID":"1"}})",
                 report)
          .ok());
  codecs::token_signer signer{made.config->key};
  std::string target, body;
  ASSERT_TRUE(
      build_uplink_request(*made.config, signer, report, v1_time(), "i", target, body).ok());
  EXPECT_NE(target.find("&LrnFPort=0&"), std::string::npos);
}
