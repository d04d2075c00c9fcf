// The AS simulator checks every uplink as a real AS would: published vector V1 (docs/protocol.md
// §2) is accepted, a token off by one digit is not; schedules decide the answers.
#include <gtest/gtest.h>

#include "bench/harness/as_simulator.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tr::harness;
using tr::test::child_process;
using tr::test::temp_dir;

namespace {

constexpr const char* v1_key = "f3203a20a2e8dfaf6686b621f56d05e3";
constexpr const char* v1_body =
    R"({"DevEUI_uplink":{"Time":"2021-04-07T08:49:51.3+00:00","DevEUI":"20635F0108000496","FPort":17,"FCntUp":18,)"
    R"("payload_hex":"032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab","CustomerID":"100002167"}})";
constexpr const char* v1_query =
    "LrnDevEui=20635F0108000496&LrnFPort=17&LrnInfos=TWA_100002167.1111.AS-1-111974&AS_ID=TWA_"
    "100002167.1111.AS"
    "&Time=2021-04-07T08%3A49%3A51.551%2B00%3A00&Token=";
constexpr const char* v1_token = "196c22898bf95fcf48b72be198c89256410660b9b514539651344baa594ad74f";

/// POSTs `body` over HTTPS (h2) to the simulator with curl; the HTTP status.
int post(const as_simulator& as, const std::string& target, const std::string& body,
         const std::string& type = "application/json") {
  child_process curl{{"curl", "-sS", "--http2", "--cacert", as.ca_file(), "-o", "/dev/null", "-w",
                      "%{http_code}", "-H", "content-type: " + type, "--data-binary", body,
                      "https://localhost:" + std::to_string(as.port()) + target}};
  curl.wait(std::chrono::seconds{20});
  return std::atoi(curl.output().c_str());
}

endpoint_stats stats_of(const as_simulator& as, const std::string& path) {
  for (auto& s : as.stats())
    if (s.path == path) return s;
  return {};
}

struct as_simulator_test : ::testing::Test {
  temp_dir dir;
  as_simulator::options options(std::vector<endpoint_config> endpoints) {
    as_simulator::options o;
    o.pki_dir = dir.path() + "/pki";
    o.endpoints = std::move(endpoints);
    return o;
  }
};

}  // namespace

TEST_F(as_simulator_test, verifies_the_published_token_and_rejects_a_wrong_one) {
  as_simulator as{options({{"/uplink", v1_key, "fast"}})};
  EXPECT_EQ(post(as, std::string{"/uplink?"} + v1_query + v1_token, v1_body), 200);
  std::string wrong = v1_token;
  wrong[10] = wrong[10] == '0' ? '1' : '0';
  EXPECT_EQ(post(as, std::string{"/uplink?"} + v1_query + wrong, v1_body), 200);
  auto s = stats_of(as, "/uplink");
  EXPECT_EQ(s.arrived, 2u);
  EXPECT_EQ(s.verified, 1u);
  EXPECT_EQ(s.bad_token, 1u);
  EXPECT_EQ(s.json, 2u);
}

TEST_F(as_simulator_test, checks_one_token_in_n_when_asked_to) {
  auto config = parse_endpoint(std::string{"/uplink,"} + v1_key + "/2,fast");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->check_every, 2u);
  as_simulator as{options({*config})};
  std::string wrong = v1_token;
  wrong[10] = wrong[10] == '0' ? '1' : '0';
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(post(as, std::string{"/uplink?"} + v1_query + v1_token, v1_body), 200);
    EXPECT_EQ(post(as, std::string{"/uplink?"} + v1_query + wrong, v1_body), 200);
  }
  auto s = stats_of(as, "/uplink");
  EXPECT_EQ(s.arrived, 4u);
  EXPECT_EQ(s.verified, 2u);  // the 1st and 3rd (good) were checked
  EXPECT_EQ(s.bad_token, 0u);
  EXPECT_EQ(s.unchecked, 2u);
  EXPECT_FALSE(parse_endpoint("/uplink,abc/0,fast"));
  EXPECT_FALSE(parse_endpoint("/uplink,abc/x,fast"));
}

TEST_F(as_simulator_test,
       counts_an_uplink_without_token_as_unsigned_and_an_unknown_path_under_star) {
  as_simulator as{options({{"/uplink", v1_key, "fast"}})};
  EXPECT_EQ(post(as, "/uplink", v1_body, "application/xml"), 200);
  EXPECT_EQ(post(as, "/elsewhere", "x", "text/plain"), 200);
  EXPECT_EQ(stats_of(as, "/uplink").unsigned_, 1u);
  EXPECT_EQ(stats_of(as, "/uplink").xml, 1u);
  EXPECT_EQ(stats_of(as, "*").arrived, 1u);
}

TEST_F(as_simulator_test, an_error_schedule_answers_503_and_a_new_schedule_applies_at_once) {
  as_simulator as{options({{"/a", "", "error=1"}})};
  EXPECT_EQ(post(as, "/a", "x"), 503);
  ASSERT_TRUE(as.set_schedule("/a", "fast"));
  EXPECT_EQ(post(as, "/a", "x"), 200);
  EXPECT_EQ(stats_of(as, "/a").answered_error, 1u);
  EXPECT_EQ(stats_of(as, "/a").answered_ok, 1u);
}

TEST_F(as_simulator_test, a_delay_schedule_answers_late) {
  as_simulator as{options({{"/slow", "", "delay=300"}})};
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(post(as, "/slow", "x"), 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds{300});
}

TEST_F(as_simulator_test, places_late_arrivals_in_windows_by_their_send_time) {
  as_simulator as{options({{"/t", "", "fast"}})};
  as.reset();
  auto sent_at = [](std::uint64_t micros) {
    return R"({"DevEUI_uplink":{"CustomerData":{"harness_ts":)" + std::to_string(micros) + "}}}";
  };
  auto now = monotonic_micros();
  EXPECT_EQ(post(as, "/t", sent_at(now + 60'000'000)), 200);  // not late: in no window
  EXPECT_EQ(post(as, "/t", sent_at(now - 50'000)), 200);      // 50 ms late, sent before the reset
  EXPECT_EQ(post(as, "/t", sent_at(0)), 200);                 // 0: warm-up, not measured
  auto late = monotonic_micros() - 3'000;                     // ≥ 3 ms late, sent after the reset
  EXPECT_EQ(post(as, "/t", sent_at(late)), 200);
  EXPECT_EQ(post(as, "/t", sent_at(late)), 200);
  auto s = stats_of(as, "/t");
  EXPECT_EQ(s.arrived, 5u);
  EXPECT_EQ(s.transit_count, 4u);
  ASSERT_EQ(s.late_windows.size(), 1u);
  EXPECT_EQ(s.late_windows[0].late, 2u);
  EXPECT_GE(s.late_windows[0].max_us, 3'000u);
  EXPECT_NE(as.stats_json().find("\"late_windows\":[["), std::string::npos);
}

TEST_F(as_simulator_test, the_refused_port_refuses_connections) {
  as_simulator as{options({})};
  child_process curl{{"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                      "http://127.0.0.1:" + std::to_string(as.refused_port()) + "/"}};
  curl.wait(std::chrono::seconds{20});
  EXPECT_EQ(curl.output(), "000");
  EXPECT_NE(curl.exit_code().value_or(0), 0);
}

TEST(schedule_text, reads_phases_with_start_times) {
  auto phases = parse_schedule("fast;5+delay=800;9.5+stop");
  ASSERT_TRUE(phases);
  ASSERT_EQ(phases->size(), 3u);
  EXPECT_EQ((*phases)[1].kind, endpoint_phase::behaviour::delay);
  EXPECT_EQ((*phases)[1].delay_ms, 800u);
  EXPECT_DOUBLE_EQ((*phases)[2].from_seconds, 9.5);
  EXPECT_FALSE(parse_schedule("slow"));
  EXPECT_FALSE(parse_schedule("error=2"));
  EXPECT_FALSE(parse_schedule("5+fast;1+stop"));
}

TEST(schedule_text, reads_an_endpoint_with_a_key_and_without) {
  auto e = parse_endpoint("/as1,F3203A20A2E8DFAF6686B621F56D05E3,2+stop");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->path, "/as1");
  EXPECT_EQ(e->schedule, "2+stop");
  auto plain = parse_endpoint("/ns,-");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->key.empty());
  EXPECT_EQ(plain->schedule, "fast");
  EXPECT_FALSE(parse_endpoint("no-slash,-"));
}
