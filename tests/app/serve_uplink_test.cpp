// The router binary end to end, as an operator's script drives it: connections created through
// the admin API with curl, reports POSTed to the ingress over h2c, uplinks arriving at a real
// HTTPS application server whose checks are made here, independently of the router's code.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <map>
#include <regex>
#include <thread>

#include "tests/app/router_process.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/test_pki.hpp"

using namespace tr::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* dev_eui = "20635F0108000496";
constexpr const char* uplink_json =
    R"({"DevEUI_uplink":{"Time":"2021-04-07T08:49:51.3+00:00","DevEUI":"20635F0108000496","FPort":17,)"
    R"("FCntUp":18,"payload_hex":"032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab",)"
    R"("LrrRSSI":-67,"LrrSNR":1.50,"Lrrs":{"Lrr":[{"Lrrid":"1","Chain":0},{"Lrrid":"2","Chain":1}]},)"
    R"("CustomerID":"100002167","CustomerData":{"alr":{"pro":"LORA/Generic","ver":"1"}}}})";

struct serve_uplink : ::testing::Test {
  temp_dir certs;
  test_pki pki = make_test_pki(certs.path());
  std::unique_ptr<router_process> router;

  void start_router(const std::string& extra = "") {
    router = std::make_unique<router_process>("[as]\nca_file = " + pki.ca_file +
                                              "\nrequest_timeout_ms = 1500\n" + extra);
  }

  /// Creates a connection to `url` and routes the test device to it; returns {id, key}.
  std::pair<std::string, std::string> connect(const std::string& url,
                                              const std::string& content_type = "JSON",
                                              const std::string& headers = "[]") {
    auto made =
        router->admin("POST", "/api/v1/connections",
                      R"({"name":"AS one","url":")" + url + R"(","contentType":")" + content_type +
                          R"(","asId":"TWA_100002167.1111.AS","headers":)" + headers + "}");
    EXPECT_EQ(made.status, 201) << made.body;
    auto id = json_field(made.body, "id");
    auto key = json_field(made.body, "key");
    auto routed = router->admin("PUT", std::string{"/api/v1/devices/"} + dev_eui,
                                R"({"connections":[")" + id + R"("]})");
    EXPECT_EQ(routed.status, 200) << routed.body;
    return {id, key};
  }
};

}  // namespace

TEST_F(serve_uplink, a_report_reaches_the_as_signed_with_a_token_the_as_verifies) {
  test_as as{pki.cert_file, pki.key_file};
  start_router();
  auto [id, key] =
      connect("https://localhost:" + std::to_string(as.port()) + "/lora/uplink?tenant=7");
  auto r = router->report(uplink_json);
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.body, R"({"routed":1})");
  ASSERT_TRUE(as.wait_for(1));
  auto got = as.requests()[0];
  EXPECT_EQ(got.method, "POST");
  EXPECT_TRUE(got.http2);
  EXPECT_EQ(got.path, "/lora/uplink");
  EXPECT_EQ(got.query.rfind("tenant=7&LrnDevEui=20635F0108000496&LrnFPort=17&LrnInfos=", 0), 0u)
      << got.query;
  auto q = query_params(got.query);
  EXPECT_EQ(q["AS_ID"], "TWA_100002167.1111.AS");
  EXPECT_TRUE(
      std::regex_match(q["Time"], std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00)"}))
      << q["Time"];
  EXPECT_EQ(q["Token"], expected_token(key, q));
  EXPECT_EQ(got.header("content-type"), "application/json");
  EXPECT_NE(got.body.find(R"("LrrRSSI":-67)"), std::string::npos) << got.body;
  EXPECT_NE(got.body.find(R"("LrrSNR":1.50)"), std::string::npos) << got.body;
  EXPECT_TRUE(router->wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"delivered\"}", 1));
}

TEST_F(serve_uplink, each_content_type_arrives_in_its_encoding) {
  test_as as{pki.cert_file, pki.key_file};
  start_router();
  auto base = "https://localhost:" + std::to_string(as.port());
  auto xml = connect(base + "/xml", "XML");
  auto untyped = router->admin(
      "POST", "/api/v1/connections",
      R"({"name":"u","url":")" + base + R"(/untyped","contentType":"JSON_UNTYPED","asId":"u.as"})");
  ASSERT_EQ(untyped.status, 201) << untyped.body;
  auto untyped_id = json_field(untyped.body, "id");
  router->admin("PUT", std::string{"/api/v1/devices/"} + dev_eui,
                R"({"connections":[")" + xml.first + R"(",")" + untyped_id + R"("]})");
  EXPECT_EQ(router->report(uplink_json).body, R"({"routed":2})");
  ASSERT_TRUE(as.wait_for(2));
  for (auto& got : as.requests()) {
    if (got.path == "/xml") {
      EXPECT_EQ(got.header("content-type"), "application/xml");
      EXPECT_NE(got.body.find(R"(<DevEUI_uplink xmlns="http://uri.actility.com/lora">)"),
                std::string::npos);
      EXPECT_NE(got.body.find("<Lrrs><Lrr><Lrrid>1</Lrrid><Chain>0</Chain></Lrr><Lrr>"),
                std::string::npos)
          << got.body;
      EXPECT_NE(got.body.find(R"(<CustomerData>{&quot;alr&quot;)"), std::string::npos) << got.body;
    } else {
      EXPECT_EQ(got.path, "/untyped");
      EXPECT_NE(got.body.find(R"("LrrRSSI":"-67")"), std::string::npos) << got.body;
      EXPECT_NE(got.body.find(R"("LrrSNR":"1.50")"), std::string::npos) << got.body;
      EXPECT_NE(got.body.find(R"("FPort":"17")"), std::string::npos) << got.body;
    }
  }
}

TEST_F(serve_uplink, custom_headers_and_userinfo_authorization_arrive) {
  test_as as{pki.cert_file, pki.key_file};
  start_router();
  connect(
      "https://alice:secret@localhost:" + std::to_string(as.port()) + "/", "JSON",
      R"([{"name":"X-Tenant","value":"t-42"},{"name":"Authorization","value":"Bearer ignored"}])");
  router->report(uplink_json);
  ASSERT_TRUE(as.wait_for(1));
  auto got = as.requests()[0];
  EXPECT_EQ(got.header("x-tenant"), "t-42");
  EXPECT_EQ(got.header("authorization"), "Basic YWxpY2U6c2VjcmV0");
}

TEST_F(serve_uplink, an_http1_only_as_gets_its_uplinks_over_http1) {
  test_as as{pki.cert_file, pki.key_file, {"http/1.1"}};
  start_router();
  connect("https://localhost:" + std::to_string(as.port()) + "/h1");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(router->report(uplink_json).status, 202);
  ASSERT_TRUE(as.wait_for(5));
  EXPECT_FALSE(as.requests()[0].http2);
}

TEST_F(serve_uplink, a_regenerated_key_signs_the_next_uplink) {
  test_as as{pki.cert_file, pki.key_file};
  start_router();
  auto [id, key] = connect("https://localhost:" + std::to_string(as.port()) + "/");
  auto renewed = router->admin("POST", "/api/v1/connections/" + id + "/key");
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  auto new_key = json_field(renewed.body, "key");
  ASSERT_NE(new_key, key);
  std::this_thread::sleep_for(200ms);  // the change is applied asynchronously, well within 1 s
  router->report(uplink_json);
  ASSERT_TRUE(as.wait_for(1));
  auto q = query_params(as.requests()[0].query);
  EXPECT_EQ(q["Token"], expected_token(new_key, q));
}

TEST_F(serve_uplink, an_as_answering_500_is_counted_as_failed) {
  test_as as{pki.cert_file, pki.key_file};
  as.set_status(500);
  start_router();
  auto [id, key] = connect("https://localhost:" + std::to_string(as.port()) + "/");
  router->report(uplink_json);
  EXPECT_TRUE(router->wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"failed\"}", 1));
}

TEST_F(serve_uplink, an_as_that_never_answers_is_counted_as_timeout) {
  test_as as{pki.cert_file, pki.key_file};
  as.set_delay(60s);
  start_router();
  auto [id, key] = connect("https://localhost:" + std::to_string(as.port()) + "/");
  router->report(uplink_json);
  EXPECT_TRUE(router->wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"timeout\"}", 1));
}

TEST_F(serve_uplink, a_refused_tcp_connection_is_counted_and_opens_the_fuse) {
  start_router();
  std::uint16_t closed_port;
  {
    test_as gone{pki.cert_file, pki.key_file};
    closed_port = gone.port();
  }
  auto [id, key] = connect("https://localhost:" + std::to_string(closed_port) + "/");
  for (int i = 0; i < 8; ++i) {
    router->report(uplink_json);
    std::this_thread::sleep_for(30ms);
  }
  EXPECT_TRUE(router->wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"failed\"}", 5));
  EXPECT_TRUE(router->wait_metric("tunnel_router_fuse_state{connection=\"" + id + "\"}", 2));
  EXPECT_EQ(router->admin("GET", "/healthz").status, 200);
}

TEST_F(serve_uplink, an_as_with_an_untrusted_certificate_is_counted_as_failed) {
  temp_dir other;
  auto stranger = make_test_pki(other.path(), "stranger");
  test_as as{stranger.cert_file, stranger.key_file};
  start_router();
  auto [id, key] = connect("https://localhost:" + std::to_string(as.port()) + "/");
  router->report(uplink_json);
  EXPECT_TRUE(router->wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"failed\"}", 1));
  EXPECT_EQ(as.count(), 0u);
}

TEST_F(serve_uplink, sigterm_stops_the_router_with_exit_code_zero) {
  start_router();
  EXPECT_EQ(router->admin("GET", "/readyz").status, 200);
  EXPECT_EQ(router->terminate(), 0);
  EXPECT_NE(router->process().output().find("tunnel-router: stopped\n"), std::string::npos)
      << router->process().output();
}

TEST_F(serve_uplink, sigterm_waits_for_the_drain_timeout_and_says_what_it_dropped) {
  test_as as{pki.cert_file, pki.key_file};
  as.set_delay(60s);  // never answers within the test
  router = std::make_unique<router_process>("[as]\nca_file = " + pki.ca_file +
                                            "\nrequest_timeout_ms = 60000\n"
                                            "[runtime]\ndrain_timeout_ms = 300\n");
  auto [id, key] = connect("https://localhost:" + std::to_string(as.port()) + "/stuck");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(router->report(uplink_json).status, 202);
  ASSERT_TRUE(router->wait_metric("tunnel_router_uplinks_in_flight{connection=\"" + id + "\"}", 3));
  auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(router->terminate(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2500ms);  // not the 60 s request timeout
  EXPECT_NE(router->process().output().find(
                "drain deadline passed with 3 uplinks in flight, cut off (counted as failed)"),
            std::string::npos)
      << router->process().output();
}

TEST_F(serve_uplink, reports_waiting_for_a_busy_http1_pool_go_out_as_sessions_free_up) {
  test_as as{pki.cert_file, pki.key_file, {"http/1.1"}};
  as.set_delay(100ms);
  start_router();
  auto [id, key] = connect("https://localhost:" + std::to_string(as.port()) + "/busy");
  std::string batch;
  for (int i = 0; i < 40; ++i) batch += std::string{uplink_json} + "\n";
  auto r = curl({"--http2-prior-knowledge", "--data-binary", batch,
                 router->ingress_url("/v1/reports:batch")});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(router->wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"delivered\"}", 40));
  EXPECT_EQ(
      router->metric("tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"timeout\"}"),
      0);
  EXPECT_EQ(router->metric("tunnel_router_fuse_state{connection=\"" + id + "\"}"), 0);
}
