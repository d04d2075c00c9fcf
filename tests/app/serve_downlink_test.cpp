// Downlinks end to end: an AS (curl, nghttp) POSTs signed downlinks to the router's HTTPS public
// listener; accepted ones must reach the NS (a real HTTPS server here) and only then be answered
// "Request queued by LRC". Tokens are made here with OpenSSL, independently of the router.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <ctime>
#include <random>
#include <regex>
#include <thread>

#include "tests/app/router_process.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/test_pki.hpp"

using namespace tr::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* device = "000000000F1D8693";
constexpr const char* queued = "<html><body>Request queued by LRC</body></html>";

/// Now (plus `shift`) as the wire carries it: 2026-01-01T12%3A00%3A00.000%2B00%3A00.
std::string wire_time(std::chrono::seconds shift = 0s) {
  auto now = std::chrono::system_clock::now() + shift;
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d%%3A%02d%%3A%02d.%03lld%%2B00%%3A00",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(ms));
  return buf;
}

/// `query` (parameters in the order given) with its Token appended.
std::string sign(const std::string& query, const std::string& key) {
  return query + "&Token=" + sha256_hex(percent_decoded(query) + key);
}

struct serve_downlink : ::testing::Test {
  temp_dir certs;
  test_pki pki = make_test_pki(certs.path());
  std::unique_ptr<test_as> ns;
  std::unique_ptr<router_process> router;
  std::string id, key;

  void start(const std::string& ns_url) {
    router = std::make_unique<router_process>(
        "[public]\ntls_cert = " + pki.cert_file + "\ntls_key = " + pki.key_file +
        "\n[as]\nca_file = " + pki.ca_file + "\nrequest_timeout_ms = 2000\n" +
        (ns_url.empty() ? "" : "[ns]\ndownlink_url = " + ns_url + "\n"));
    auto made = router->admin(
        "POST", "/api/v1/connections",
        R"({"name":"AS","url":"https://localhost:1/up","contentType":"JSON","asId":"app1.sample.com"})");
    ASSERT_EQ(made.status, 201) << made.body;
    id = json_field(made.body, "id");
    key = json_field(made.body, "key");
    ASSERT_EQ(router
                  ->admin("PUT", std::string{"/api/v1/devices/"} + device,
                          R"({"connections":[")" + id + R"("]})")
                  .status,
              200);
    std::this_thread::sleep_for(100ms);  // the supervisor applies the change asynchronously
  }

  void start_with_ns() {
    ns = std::make_unique<test_as>(pki.cert_file, pki.key_file);
    start("https://localhost:" + std::to_string(ns->port()) + "/ns/downlink?tenant=1");
  }

  http_result post(const std::string& query, bool http2 = false) {
    std::vector<std::string> args{"--cacert", pki.ca_file, "-X", "POST"};
    args.push_back(http2 ? "--http2" : "--http1.1");
    args.push_back("https://localhost:" + std::to_string(router->public_port()) +
                   "/thingpark/lrc/rest/downlink?" + query);
    return curl(args);
  }

  std::string fresh(const std::string& extra = "") {
    return "DevEUI=" + std::string{device} + "&FPort=1&Payload=00" + extra +
           "&AS_ID=app1.sample.com&Time=" + wire_time();
  }

  double downlinks(const std::string& outcome) {
    return router->metric("tunnel_router_downlinks_total{outcome=\"" + outcome + "\"}");
  }
};

}  // namespace

TEST_F(serve_downlink, an_accepted_downlink_reaches_the_ns_before_the_as_hears_queued) {
  start_with_ns();
  auto r = post(sign(fresh("&FCntDn=7&Confirmed=1&CorrelationID=0123456789ABCDEF"), key), true);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, queued);
  ASSERT_EQ(ns->count(), 1u);
  auto got = ns->requests()[0];
  EXPECT_EQ(got.path, "/ns/downlink");
  EXPECT_EQ(got.query, "tenant=1");
  EXPECT_EQ(got.header("content-type"), "application/json");
  EXPECT_NE(got.body.find("\"connection\":\"" + id + "\""), std::string::npos) << got.body;
  EXPECT_NE(got.body.find(R"("DevEUI":"000000000F1D8693")"), std::string::npos) << got.body;
  EXPECT_NE(got.body.find(R"("FPort":1)"), std::string::npos) << got.body;
  EXPECT_NE(got.body.find(R"("Payload":"00")"), std::string::npos) << got.body;
  EXPECT_NE(got.body.find(R"("FCntDn":7)"), std::string::npos) << got.body;
  EXPECT_NE(got.body.find(R"("Confirmed":true)"), std::string::npos) << got.body;
  EXPECT_NE(got.body.find(R"("CorrelationID":"0123456789ABCDEF")"), std::string::npos) << got.body;
  EXPECT_EQ(downlinks("accepted"), 1);
}

TEST_F(serve_downlink, parameters_in_three_orders_are_accepted) {
  start_with_ns();
  auto t = wire_time();
  std::string orders[] = {
      "DevEUI=000000000F1D8693&FPort=1&Payload=01&AS_ID=app1.sample.com&Time=" + t,
      "AS_ID=app1.sample.com&Time=" + t + "&Payload=02&FPort=1&DevEUI=000000000F1D8693",
      "Payload=03&DevEUI=000000000F1D8693&Time=" + t + "&FPort=1&AS_ID=app1.sample.com",
  };
  for (auto& q : orders) EXPECT_EQ(post(sign(q, key)).status, 200) << q;
  EXPECT_EQ(ns->count(), 3u);
}

TEST_F(serve_downlink, each_failure_is_refused_with_its_own_status_and_counter) {
  start_with_ns();
  EXPECT_EQ(
      post(sign("DevEUI=XYZ&FPort=1&Payload=00&AS_ID=app1.sample.com&Time=" + wire_time(), key))
          .status,
      400);
  EXPECT_EQ(
      post(sign("DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=nobody&Time=" + wire_time(), key))
          .status,
      403);
  EXPECT_EQ(post(sign(fresh(), "ffffffffffffffffffffffffffffffff")).status, 401);
  EXPECT_EQ(post(sign("DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=app1.sample.com&Time=" +
                          wire_time(-120s),
                      key))
                .status,
            403);
  EXPECT_EQ(post(sign("DevEUI=0000000000000001&FPort=1&Payload=00&AS_ID=app1.sample.com&Time=" +
                          wire_time(),
                      key))
                .status,
            403);
  auto once = sign(fresh(), key);
  EXPECT_EQ(post(once).status, 200);
  auto replay = post(once);
  EXPECT_EQ(replay.status, 409);
  EXPECT_EQ(replay.body, "replay");
  EXPECT_EQ(downlinks("malformed"), 1);
  EXPECT_EQ(downlinks("unknown_as_id"), 1);
  EXPECT_EQ(downlinks("bad_token"), 1);
  EXPECT_EQ(downlinks("stale_time"), 1);
  EXPECT_EQ(downlinks("not_routed"), 1);
  EXPECT_EQ(downlinks("replay"), 1);
  EXPECT_EQ(ns->count(), 1u);
}

TEST_F(serve_downlink, a_regenerated_key_refuses_the_old_one_and_accepts_the_new) {
  start_with_ns();
  auto renewed = router->admin("POST", "/api/v1/connections/" + id + "/key");
  ASSERT_EQ(renewed.status, 200);
  auto new_key = json_field(renewed.body, "key");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(post(sign(fresh(), key)).status, 401);
  EXPECT_EQ(post(sign(fresh("&FCntDn=2"), new_key)).status, 200);
}

TEST_F(serve_downlink, an_unreachable_ns_gives_503_and_nothing_accepted) {
  std::uint16_t closed;
  {
    test_as gone{pki.cert_file, pki.key_file};
    closed = gone.port();
  }
  start("https://localhost:" + std::to_string(closed) + "/ns");
  auto r = post(sign(fresh(), key));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(downlinks("accepted"), 0);
  EXPECT_EQ(downlinks("ns_failed"), 1);
  // The operator reads why, and which NS, in the log.
  auto log = router->process().errors();
  EXPECT_NE(log.find("downlink refused"), std::string::npos) << log;
  EXPECT_NE(log.find("outcome=ns_failed"), std::string::npos) << log;
  EXPECT_NE(log.find("localhost:" + std::to_string(closed)), std::string::npos) << log;
}

TEST_F(serve_downlink, an_ns_answering_500_gives_503_and_the_as_may_send_it_again) {
  start_with_ns();
  ns->set_status(500);
  auto once = sign(fresh(), key);
  EXPECT_EQ(post(once, true).status, 503);
  EXPECT_EQ(downlinks("accepted"), 0);
  // The 503 spent nothing: the same signed request goes through once the NS is back.
  ns->set_status(200);
  auto again = post(once, true);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(post(once, true).status, 409);
  EXPECT_EQ(downlinks("accepted"), 1);
}

TEST_F(serve_downlink, an_ns_that_got_the_downlink_but_did_not_answer_keeps_the_token_spent) {
  start_with_ns();
  ns->set_delay(5s);  // over the 2 s request timeout: the NS has it and says nothing
  auto once = sign(fresh(), key);
  EXPECT_EQ(post(once).status, 503);
  auto again = post(once);  // it may be queued at the NS: a resend would be a duplicate
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(downlinks("ns_failed"), 1);
}

TEST_F(serve_downlink, without_a_downlink_url_downlinks_are_refused_with_503) {
  start("");
  auto once = sign(fresh(), key);
  EXPECT_EQ(post(once).status, 503);
  EXPECT_EQ(post(once).status, 503);  // not a replay: it was never accepted
  EXPECT_EQ(downlinks("ns_unconfigured"), 2);
  EXPECT_EQ(downlinks("replay"), 0);
  EXPECT_NE(router->process().errors().find("outcome=ns_unconfigured"), std::string::npos)
      << router->process().errors();
}

TEST_F(serve_downlink, nghttp_as_an_as_gets_its_downlink_queued) {
  start_with_ns();
  child_process nghttp{{"nghttp", "-v", "-d", "/dev/null",
                        "https://localhost:" + std::to_string(router->public_port()) +
                            "/thingpark/lrc/rest/downlink?" + sign(fresh(), key)}};
  ASSERT_TRUE(nghttp.wait(std::chrono::seconds{20}).has_value());
  EXPECT_NE(nghttp.output().find(":status: 200"), std::string::npos) << nghttp.output();
  EXPECT_EQ(ns->count(), 1u);
}

TEST_F(serve_downlink, ten_thousand_random_malformed_queries_are_refused_without_harm) {
  start_with_ns();
  std::mt19937 rng{20261125};
  const std::string alphabet =
      "DevEUIFPortPayloadASIDTimeTokenCorrelationValidity=&%+0123456789abcdefABCDEF:._-~";
  std::string urls;
  auto base = "https://localhost:" + std::to_string(router->public_port()) +
              "/thingpark/lrc/rest/downlink?";
  for (int i = 0; i < 10000; ++i) {
    std::string q;
    auto n = 1 + rng() % 160;
    for (unsigned j = 0; j < n; ++j) q += alphabet[rng() % alphabet.size()];
    urls += base + q + "\n";
  }
  write_file(certs.file("urls.txt"), urls);
  write_file(certs.file("body"),
             "x");  // downlink bodies are ignored; h2load needs a non-empty file
  child_process load{{"h2load", "-n", "10000", "-c", "4", "-m", "16", "-i", certs.file("urls.txt"),
                      "-d", certs.file("body")}};
  ASSERT_TRUE(load.wait(std::chrono::seconds{120}).has_value()) << "h2load did not finish";
  EXPECT_NE(load.output().find("10000 total"), std::string::npos) << load.output();
  EXPECT_NE(load.output().find("0 2xx"), std::string::npos) << load.output();
  EXPECT_NE(load.output().find("10000 done, 0 succeeded, 10000 failed, 0 errored"),
            std::string::npos)
      << load.output();  // every one answered, and refused
  EXPECT_NE(load.output().find("10000 4xx"), std::string::npos) << load.output();
  EXPECT_EQ(ns->count(), 0u);
  // The router is unharmed: a good downlink still goes through.
  EXPECT_EQ(post(sign(fresh(), key)).status, 200);
  EXPECT_EQ(router->admin("GET", "/healthz").status, 200);
}
