// A hung AS (connections accepted, requests never answered) seen from outside, with the default
// settings (request timeout 5 s, fuse defaults): its fuse opens within about the request timeout
// plus a second of the hang at a low and a high offered rate, while an AS that is slow but
// answers stays throttling. Load comes from h2load at a fixed rate; what is checked is the fuse
// state over time, with a second of slack on the documented bound.
#include <gtest/gtest.h>

#include <thread>

#include "tests/app/router_process.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/test_pki.hpp"

using namespace tr::test;
using namespace std::chrono_literals;

namespace {

struct serve_hang : ::testing::Test {
  temp_dir dir;
  test_pki pki = make_test_pki(dir.path());
  test_as as{pki.cert_file, pki.key_file};
  router_process router{"[as]\nca_file = " + pki.ca_file + "\n"};
  std::string id;
  std::string dev_eui = "00000000000000D4";
  std::unique_ptr<child_process> load;  ///< the offered load (h2load), kept running

  void SetUp() override {
    auto made = router.admin("POST", "/api/v1/connections",
                             R"({"name":"c","url":"https://localhost:)" +
                                 std::to_string(as.port()) +
                                 R"(/","contentType":"JSON","asId":"as"})");
    ASSERT_EQ(made.status, 201) << made.body;
    id = json_field(made.body, "id");
    ASSERT_EQ(
        router.admin("PUT", "/api/v1/devices/" + dev_eui, R"({"connections":[")" + id + R"("]})")
            .status,
        200);
  }

  std::unique_ptr<child_process> offer(int rate, int seconds) {
    auto body = dir.file("body.json");
    write_file(body, R"({"DevEUI_uplink":{"DevEUI":")" + dev_eui +
                         R"(","FPort":2,"FCntUp":1,"payload_hex":"00ff","CustomerID":"1"}})");
    int clients = rate >= 100 ? 4 : 1;
    return std::make_unique<child_process>(std::vector<std::string>{
        "h2load", "-c", std::to_string(clients), "-m", "8", "--rps",
        std::to_string(rate / clients), "-D", std::to_string(seconds), "-d", body, "-H",
        "content-type: application/json", router.ingress_url("/v1/reports")});
  }

  double fuse_state() {
    return router.metric("tunnel_router_fuse_state{connection=\"" + id + "\"}");
  }
  double outcome(const std::string& name) {
    return router.metric("tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"" +
                         name + "\"}");
  }

  /// Offers `rate` per second; after a healthy second the AS hangs. Returns how long after the
  /// hang began the fuse was first seen open (or nullopt within `limit`).
  std::optional<std::chrono::milliseconds> time_to_open_after_hang(int rate,
                                                                   std::chrono::seconds limit) {
    load = offer(rate, static_cast<int>(limit.count()) + 6);
    std::this_thread::sleep_for(1s);
    EXPECT_GT(outcome("delivered"), 0) << "nothing was delivered before the hang";
    as.set_hang(true);
    auto hung_at = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - hung_at < limit) {
      if (fuse_state() == 2)
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - hung_at);
      std::this_thread::sleep_for(100ms);
    }
    return std::nullopt;
  }
};

}  // namespace

TEST_F(serve_hang, a_hung_as_is_blacklisted_within_the_timeout_and_a_second_at_20_per_second) {
  auto opened = time_to_open_after_hang(20, 9s);
  ASSERT_TRUE(opened) << "the fuse of a hung AS did not open within 9 s (state " << fuse_state()
                      << ")";
  EXPECT_LE(*opened, 6500ms) << "request timeout 5 s + 1 s, and the poll's slack";
  // Open: what is offered is shed.
  auto shed = outcome("shed");
  EXPECT_TRUE(router.wait_metric(
      "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"shed\"}", shed + 1, 2s))
      << "opened after " << opened->count() << " ms; shed " << shed << " then "
      << outcome("shed") << ", state " << fuse_state();
}

TEST_F(serve_hang, a_hung_as_is_blacklisted_within_the_timeout_and_a_second_at_1000_per_second) {
  auto opened = time_to_open_after_hang(1000, 9s);
  ASSERT_TRUE(opened) << "the fuse of a hung AS did not open within 9 s (state " << fuse_state()
                      << ")";
  EXPECT_LE(*opened, 6500ms) << "request timeout 5 s + 1 s, and the poll's slack";
}

TEST_F(serve_hang, a_slow_as_that_still_answers_stays_throttling) {
  as.set_delay(1500ms);  // slower than the latency target (1 s), well within the timeout (5 s)
  load = offer(20, 10);
  double worst = 0;
  bool throttled = false;
  auto until = std::chrono::steady_clock::now() + 8s;  // past timeout + 1 s, well past
  while (std::chrono::steady_clock::now() < until) {
    auto state = fuse_state();
    worst = std::max(worst, state);
    throttled = throttled || state == 1;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(throttled) << "a slow AS must throttle";
  EXPECT_LT(worst, 2) << "a slow AS that answers must not be blacklisted";
  EXPECT_EQ(outcome("timeout"), 0);
  EXPECT_GT(outcome("delivered"), 0);
}
