// Connection health from outside, through the router process and a real HTTPS AS: what the AS
// learns of the uplinks it missed (LostUplinksAS, in all three content types), pause and
// resume, the status endpoint, the test uplink, and the fuse transitions in the metrics and
// the log.
#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

#include "tests/app/router_process.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/test_pki.hpp"

using namespace tr::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* dev_eui = "20635F0108000497";

std::string uplink(int fcnt, const std::string& extra = "") {
  return R"({"DevEUI_uplink":{"DevEUI":")" + std::string{dev_eui} + R"(","FPort":2,"FCntUp":)" +
         std::to_string(fcnt) + extra + R"(,"payload_hex":"00ff","CustomerID":"1"}})";
}

/// The number in `"name":<number>` or `"name":"<number>"` or `<name>number</name>`, or -1.
long field_number(const std::string& body, const std::string& name) {
  std::smatch m;
  std::regex json{"\"" + name + "\":\"?(-?[0-9]+)"};
  if (std::regex_search(body, m, json)) return std::stol(m[1]);
  std::regex xml{"<" + name + ">(-?[0-9]+)</" + name + ">"};
  if (std::regex_search(body, m, xml)) return std::stol(m[1]);
  return -1;
}

struct serve_health : ::testing::Test {
  temp_dir dir;
  test_pki pki = make_test_pki(dir.path());
  test_as as{pki.cert_file, pki.key_file};
  router_process router{"[as]\nca_file = " + pki.ca_file + "\nrequest_timeout_ms = 1500\n"};

  std::string connect(const std::string& content_type, const std::string& path = "/") {
    auto made = router.admin("POST", "/api/v1/connections",
                             R"({"name":"c","url":"https://localhost:)" +
                                 std::to_string(as.port()) + path + R"(","contentType":")" +
                                 content_type + R"(","asId":"as-)" + content_type + R"("})");
    EXPECT_EQ(made.status, 201) << made.body;
    return json_field(made.body, "id");
  }

  void route(const std::vector<std::string>& ids) {
    std::string list;
    for (auto& id : ids) list += (list.empty() ? "\"" : ",\"") + id + "\"";
    auto routed = router.admin("PUT", std::string{"/api/v1/devices/"} + dev_eui,
                               R"({"connections":[)" + list + "]}");
    ASSERT_EQ(routed.status, 200) << routed.body;
  }

  double metric(const std::string& series) { return router.metric(series); }
  double outcome(const std::string& id, const std::string& name) {
    return metric("tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"" + name +
                  "\"}");
  }
  void pause(const std::string& id, bool paused) {
    auto changed = router.admin("PATCH", "/api/v1/connections/" + id,
                                std::string{R"({"paused":)"} + (paused ? "true" : "false") + "}");
    ASSERT_EQ(changed.status, 200) << changed.body;
    EXPECT_NE(changed.body.find(paused ? R"("paused":true)" : R"("paused":false)"),
              std::string::npos)
        << changed.body;
  }
};

}  // namespace

TEST_F(serve_health, the_as_learns_how_many_uplinks_it_missed_in_every_content_type) {
  auto json = connect("JSON", "/json");
  auto untyped = connect("JSON_UNTYPED", "/untyped");
  auto xml = connect("XML", "/xml");
  route({json, untyped, xml});
  std::this_thread::sleep_for(200ms);

  ASSERT_EQ(router.report(uplink(1)).status, 202);
  ASSERT_TRUE(as.wait_for(3));
  for (auto& id : {json, untyped, xml}) pause(id, true);
  for (int fcnt = 2; fcnt <= 4; ++fcnt) ASSERT_EQ(router.report(uplink(fcnt)).status, 202);
  for (auto& id : {json, untyped, xml})
    ASSERT_TRUE(router.wait_metric(
        "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"paused\"}", 3));
  for (auto& id : {json, untyped, xml}) pause(id, false);
  std::this_thread::sleep_for(200ms);
  // An NS-sent value is replaced by the router's count.
  ASSERT_EQ(router.report(uplink(5, R"(,"LostUplinksAS":77)")).status, 202);
  ASSERT_TRUE(as.wait_for(6));
  ASSERT_EQ(router.report(uplink(6)).status, 202);
  ASSERT_TRUE(as.wait_for(9));

  auto got = as.requests();
  ASSERT_EQ(got.size(), 9u);
  for (const std::string path : {"/json", "/untyped", "/xml"}) {
    std::vector<long> lost, fcnt;
    for (auto& r : got) {
      if (r.path != path) continue;
      lost.push_back(field_number(r.body, "LostUplinksAS"));
      fcnt.push_back(field_number(r.body, "FCntUp"));
      // Right after FCntUp, exactly once.
      auto at = r.body.find("LostUplinksAS");
      EXPECT_EQ(r.body.find("LostUplinksAS", at + 20), std::string::npos) << r.body;
      auto after = r.body.find("FCntUp");
      EXPECT_LT(after, at) << r.body;
      EXPECT_LT(at - after, 30u) << r.body;
    }
    ASSERT_EQ(lost.size(), 3u) << path;
    EXPECT_EQ(fcnt, (std::vector<long>{1, 5, 6})) << path;
    EXPECT_EQ(lost, (std::vector<long>{0, 3, 0})) << path;
  }
  auto untyped_body =
      std::find_if(got.begin(), got.end(), [](auto& r) { return r.path == "/untyped"; })->body;
  EXPECT_NE(untyped_body.find(R"("LostUplinksAS":"0")"), std::string::npos) << untyped_body;
  auto xml_body =
      std::find_if(got.begin(), got.end(), [](auto& r) { return r.path == "/xml"; })->body;
  EXPECT_NE(xml_body.find("</FCntUp><LostUplinksAS>0</LostUplinksAS>"), std::string::npos)
      << xml_body;
}

TEST_F(serve_health, a_paused_connection_sends_nothing_and_says_so_in_status_metrics_and_log) {
  auto id = connect("JSON");
  route({id});
  std::this_thread::sleep_for(200ms);
  pause(id, true);
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(router.report(uplink(1)).status, 202);
  ASSERT_TRUE(router.wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"paused\"}", 1));
  EXPECT_EQ(as.count(), 0u);
  EXPECT_EQ(outcome(id, "shed"), 0);
  auto status = router.admin("GET", "/api/v1/connections/" + id + "/status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(json_field(status.body, "state"), "paused");
  EXPECT_EQ(json_field(status.body, "reason"), "paused by the operator");
  EXPECT_NE(status.body.find(
                R"("lastMinute":{"delivered":0,"failed":0,"timeout":0,"shed":0,"paused":1})"),
            std::string::npos)
      << status.body;
  EXPECT_EQ(metric("tunnel_router_fuse_transitions_total{connection=\"" + id + "\",to=\"paused\"}"),
            1);
  EXPECT_NE(router.process().errors().find("fuse transition connection=" + id +
                                           " from=closed to=paused reason="),
            std::string::npos)
      << router.process().errors();

  pause(id, false);
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(router.report(uplink(2)).status, 202);
  ASSERT_TRUE(as.wait_for(1));
  EXPECT_EQ(metric("tunnel_router_fuse_transitions_total{connection=\"" + id + "\",to=\"closed\"}"),
            1);
  status = router.admin("GET", "/api/v1/connections/" + id + "/status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(json_field(status.body, "state"), "closed");
  EXPECT_EQ(json_field(status.body, "reason"), "resumed by the operator");
}

TEST_F(serve_health, status_shows_outcomes_latency_and_the_last_failures_with_the_as_answer) {
  auto id = connect("JSON");
  route({id});
  std::this_thread::sleep_for(200ms);
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(router.report(uplink(i)).status, 202);
  ASSERT_TRUE(router.wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"delivered\"}", 3));
  as.set_status(500);
  ASSERT_EQ(router.report(uplink(4)).status, 202);
  ASSERT_TRUE(router.wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"failed\"}", 1));

  auto status = router.admin("GET", "/api/v1/connections/" + id + "/status");
  ASSERT_EQ(status.status, 200) << status.body;
  const auto& b = status.body;
  EXPECT_TRUE(std::regex_search(
      b,
      std::regex{
          R"re(^\{"state":"(closed|throttling)","reason":"[^"]+","limit":[0-9]+,"inFlight":0,)re"
          R"re("lastMinute":\{"delivered":3,"failed":1,"timeout":0,"shed":0,"paused":0\},)re"
          R"re("last15Minutes":\{"delivered":3,"failed":1,"timeout":0,"shed":0,"paused":0\},)re"
          R"re("latencyMs":\{"p50":[0-9.]+,"p99":[0-9.]+\},)re"
          R"re("lastDeliveryAt":"20[0-9-]+T[0-9:.]+Z",)re"
          R"re("failures":\[\{"at":"20[^"]+Z","kind":"http","status":500,)re"
          R"re("message":"Internal Server Error","body":"ok"\}\],"replicas":\["[^"]+"\]\}$)re"}))
      << b;

  EXPECT_EQ(router.admin("GET", "/api/v1/connections/0123456789abcdef/status").status, 404);
  EXPECT_EQ(router.admin("POST", "/api/v1/connections/" + id + "/status").status, 405);
}

TEST_F(serve_health, a_test_uplink_reaches_the_as_signed_and_answers_what_happened) {
  auto made = router.admin("POST", "/api/v1/connections",
                           R"({"name":"c","url":"https://localhost:)" + std::to_string(as.port()) +
                               R"(/up?x=1","contentType":"XML","asId":"as",)"
                               R"("headers":[{"name":"X-Tenant","value":"t1"}]})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto id = json_field(made.body, "id");
  auto tested = router.admin("POST", "/api/v1/connections/" + id + "/test");
  ASSERT_EQ(tested.status, 200) << tested.body;
  EXPECT_TRUE(std::regex_search(
      tested.body,
      std::regex{
          R"(^\{"request":"POST /up\?x=1&LrnDevEui=FFFFFFFFFFFFFFFF&[^"]*&Token=[0-9a-f]{64} HTTP/2",)"
          R"("status":200,"latencyMs":[0-9.]+,"body":"ok","error":null\}$)"}))
      << tested.body;
  ASSERT_EQ(as.count(), 1u);
  auto got = as.requests().front();
  EXPECT_EQ(got.header("x-tenant"), "t1");
  EXPECT_NE(got.body.find("<DevEUI>FFFFFFFFFFFFFFFF</DevEUI>"), std::string::npos) << got.body;
  // Outside the figures: nothing counted.
  EXPECT_EQ(outcome(id, "delivered"), 0);

  as.set_hang(true);
  auto hung = router.admin("POST", "/api/v1/connections/" + id + "/test");
  ASSERT_EQ(hung.status, 200) << hung.body;
  EXPECT_NE(hung.body.find(R"("status":null)"), std::string::npos) << hung.body;
  EXPECT_NE(hung.body.find(R"("error":"timeout: )"), std::string::npos) << hung.body;
}

TEST_F(serve_health, other_admin_requests_are_answered_while_a_test_uplink_waits_for_a_hung_as) {
  auto id = connect("JSON");
  as.set_hang(true);
  std::atomic<bool> test_answered{false};
  http_result tested;
  std::thread tester{[&] {
    tested = router.admin("POST", "/api/v1/connections/" + id + "/test");
    test_answered = true;
  }};
  // The test uplink is at the AS, which will never answer it: the router waits for its request
  // timeout (1.5 s). Meanwhile the admin API serves everyone else.
  ASSERT_TRUE(as.wait_for(1));
  auto listed = router.admin("GET", "/api/v1/connections");
  auto status = router.admin("GET", "/api/v1/connections/" + id + "/status");
  bool answered_before_the_test = !test_answered.load();
  tester.join();
  EXPECT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_TRUE(answered_before_the_test) << "the admin API waited for the test uplink";
  ASSERT_EQ(tested.status, 200) << tested.body;
  EXPECT_NE(tested.body.find(R"("error":"timeout: )"), std::string::npos) << tested.body;
}

TEST(serve_health_problem, a_stored_connection_that_cannot_run_says_why_in_status_and_log) {
  temp_dir data;
  std::string id;
  {
    router_process lab{"[as]\nallow_http = true\n", data.path()};
    auto made = lab.admin("POST", "/api/v1/connections",
                          R"({"name":"lab AS","url":"http://127.0.0.1:9/up","contentType":"JSON",)"
                          R"("asId":"lab"})");
    ASSERT_EQ(made.status, 201) << made.body;
    id = json_field(made.body, "id");
    ASSERT_EQ(lab.admin("PUT", std::string{"/api/v1/devices/"} + dev_eui,
                        R"({"connections":[")" + id + R"("]})")
                  .status,
              200);
    ASSERT_EQ(lab.terminate(), 0);
  }
  // The same store without as.allow_http: the connection is kept, its uplinks shed.
  router_process router{"", data.path()};
  auto report = router.report(uplink(1));
  EXPECT_EQ(report.status, 202) << report.body;
  EXPECT_TRUE(router.wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"shed\"}", 1));
  auto status = router.admin("GET", "/api/v1/connections/" + id + "/status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_NE(status.body.find(R"("problem":"url: )"), std::string::npos) << status.body;
  EXPECT_NE(router.process().errors().find("connection cannot run here: its uplinks are shed "
                                           "until it is fixed connection=\"lab AS\" id=" +
                                           id),
            std::string::npos)
      << router.process().errors();
  // Fixed: the problem is gone.
  auto fixed =
      router.admin("PATCH", "/api/v1/connections/" + id, R"({"url":"https://127.0.0.1:9/up"})");
  ASSERT_EQ(fixed.status, 200) << fixed.body;
  std::string after;
  for (int i = 0; i < 100; ++i) {
    after = router.admin("GET", "/api/v1/connections/" + id + "/status").body;
    if (after.find("\"problem\"") == std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(after.find("\"problem\""), std::string::npos) << after;
}
