// Parse once: a report is parsed by the ingress of the shard it arrived on, and a connection
// owned by another shard sends that same value, never parsing it again, also across moves; the
// posts to another shard stay bounded per connection.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "actors/data_plane.hpp"
#include "codecs/report_parser.hpp"
#include "tests/app/router_process.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace tr;
using namespace std::chrono_literals;

namespace {

constexpr const char* report_json =
    R"({"DevEUI_uplink":{"Time":"2021-04-07T08:49:51.3+00:00","DevEUI":"20635F0108000496",)"
    R"("FPort":17,"FCntUp":18,"payload_hex":")"
    R"(032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab",)"
    R"("LrrRSSI":-67,"LrrSNR":1.50,"CustomerID":"100002167"}})";

/// What the AS gets: the report byte for byte as the NS sent it, with the JSON connection's
/// LostUplinksAS after FCntUp.
std::string delivered_json() {
  std::string body = report_json;
  body.insert(body.find(R"("payload_hex")"), R"("LostUplinksAS":0,)");
  return body;
}
constexpr const char* key = "00112233445566778899aabbccddeeff";

/// Runs `fn` on shard `index` and waits for it; returns what it returns.
template <class F>
auto on_shard(transport::runtime& rt, std::size_t index, F fn) {
  std::promise<decltype(fn())> done;
  rt.at(index).post([&](transport::shard&) {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      done.set_value();
    } else {
      done.set_value(fn());
    }
  });
  return done.get_future().get();
}

struct data_plane_parse_once : ::testing::Test {
  /// `max_concurrency`: the connection's in-flight bound, also that of its posts.
  explicit data_plane_parse_once(std::uint32_t max_concurrency = 512)
      : max_concurrency_(max_concurrency) {}

  std::uint32_t max_concurrency_;
  test::temp_dir dir;
  test::test_pki pki = test::make_test_pki(dir.path());
  test::test_as as{pki.cert_file, pki.key_file};
  transport::runtime rt{2};
  actors::metrics_registry metrics;
  actors::downlink_verifier downlinks{{}};
  actors::uplink_environment env = environment(pki.ca_file, max_concurrency_);
  actors::data_plane plane{rt, metrics, env, {}, downlinks};
  store::connection connection;

  void SetUp() override {
    rt.start();
    connection.id = "00000000000000c1";
    connection.url = "https://localhost:" + std::to_string(as.port()) + "/up";
    connection.as_id = "TWA_100002167.1111.AS";
    connection.key = key;
    plane.load({connection}, {store::device_route{"20635F0108000496", {connection.id}}});
  }
  /// The runtime stops before the owners it drives are destroyed with the plane.
  void TearDown() override { rt.stop(); }

  static actors::uplink_environment environment(const std::string& ca_file,
                                                std::uint32_t max_concurrency) {
    transport::tls_client_config tls;
    tls.ca_file = ca_file;
    actors::uplink_environment made{*transport::tls_context::client(tls)};
    made.fuse_params.max_limit = max_concurrency;
    return made;
  }

  /// POSTs the report to the ingress of shard `index`, as the listener there would.
  void report_on(std::size_t index) {
    on_shard(rt, index, [&] {
      actors::ingress_answer answer;
      plane.local().reports->handle_report("", report_json, answer);
      EXPECT_EQ(answer.status, 202) << answer.body;
    });
  }
  /// Reports parsed so far on shard `index`'s thread.
  std::uint64_t parsed_on(std::size_t index) {
    return on_shard(rt, index, [] { return codecs::report_parser::parsed_on_this_thread(); });
  }
  std::uint64_t outcomes(actors::uplink_outcome outcome) {
    return metrics.connection(connection.id)->total(outcome);
  }
  /// Waits until `count` uplinks ended delivered, failed or timed out (or 10 s passed).
  void wait_for_outcomes(std::uint64_t count) {
    using actors::uplink_outcome;
    for (int i = 0; i < 500; ++i) {
      if (outcomes(uplink_outcome::delivered) + outcomes(uplink_outcome::failed) +
              outcomes(uplink_outcome::timeout) >=
          count)
        return;
      std::this_thread::sleep_for(20ms);
    }
  }
};

constexpr std::uint32_t queued_bound = 8;

struct data_plane_parse_once_bound : data_plane_parse_once {
  data_plane_parse_once_bound() : data_plane_parse_once(queued_bound) {}
};

}  // namespace

TEST_F(data_plane_parse_once, a_report_crossing_shards_is_not_parsed_again_and_arrives_as_sent) {
  auto home = static_cast<std::size_t>(plane.shard_of(connection.id));
  auto other = 1 - home;
  auto parsed_home = parsed_on(home);
  auto parsed_other = parsed_on(other);
  for (int i = 0; i < 5; ++i) report_on(other);
  ASSERT_TRUE(as.wait_for(5));
  EXPECT_EQ(parsed_on(other) - parsed_other, 5u);  // once each, where they arrived
  EXPECT_EQ(parsed_on(home), parsed_home);         // never on the connection's shard
  report_on(home);                                 // the same report on the owner's own shard
  ASSERT_TRUE(as.wait_for(6));

  auto got = as.requests();
  ASSERT_EQ(got.size(), 6u);
  for (auto& r : got) {
    EXPECT_EQ(r.body, delivered_json());  // byte for byte, crossed or not
    auto q = test::query_params(r.query);
    EXPECT_EQ(q["LrnDevEui"], "20635F0108000496");
    EXPECT_EQ(q["Token"], test::expected_token(key, q)) << r.query;
  }
  EXPECT_EQ(outcomes(actors::uplink_outcome::shed), 0u);
}

TEST_F(data_plane_parse_once, reports_in_flight_across_moves_are_delivered_once_and_parsed_once) {
  as.set_delay(5ms);  // requests still in flight on the old owner when it moves
  auto parsed_before = parsed_on(0) + parsed_on(1);
  std::atomic<bool> moving{true};
  std::atomic<int> sent{0};
  std::thread sender{[&] {  // from both shards, before, during and after each move
    for (int i = 0; moving || i % 2 != 0; ++i) {
      report_on(static_cast<std::size_t>(i % 2));
      ++sent;
    }
  }};
  for (int move = 1; move <= 6; ++move) {
    while (sent < move * 20) std::this_thread::sleep_for(1ms);
    auto home = static_cast<std::size_t>(plane.shard_of(connection.id));
    plane.move(connection.id, 1 - home);
    ASSERT_EQ(plane.shard_of(connection.id), static_cast<int>(1 - home));
  }
  while (sent < 140) std::this_thread::sleep_for(1ms);
  moving = false;
  sender.join();
  auto total = static_cast<std::uint64_t>(sent.load());
  EXPECT_TRUE(as.wait_for(total));
  wait_for_outcomes(total);
  EXPECT_EQ(outcomes(actors::uplink_outcome::delivered), total);
  EXPECT_EQ(outcomes(actors::uplink_outcome::shed), 0u);
  EXPECT_EQ(outcomes(actors::uplink_outcome::failed), 0u);
  EXPECT_EQ(as.count(), total);
  EXPECT_EQ(parsed_on(0) + parsed_on(1) - parsed_before, total);  // handed over, not re-parsed
}

TEST_F(data_plane_parse_once_bound, posts_to_a_busy_shard_shed_beyond_the_connections_bound) {
  auto home = static_cast<std::size_t>(plane.shard_of(connection.id));
  auto other = 1 - home;
  std::promise<void> release;
  std::promise<void> holding;
  rt.at(home).post([&](transport::shard&) {  // the connection's shard is busy elsewhere
    holding.set_value();
    release.get_future().wait();
  });
  holding.get_future().wait();
  for (int i = 0; i < 20; ++i) report_on(other);
  // Counted at the ingress while the home shard has run nothing: the bound held there.
  EXPECT_EQ(outcomes(actors::uplink_outcome::shed), 20u - queued_bound);
  release.set_value();
  ASSERT_TRUE(as.wait_for(queued_bound));
  wait_for_outcomes(queued_bound);
  EXPECT_EQ(outcomes(actors::uplink_outcome::delivered), queued_bound);
  EXPECT_EQ(outcomes(actors::uplink_outcome::shed), 20u - queued_bound);
}
