// A connection moved between shards under load: every report still ends delivered, the old
// owner finishes what it had in flight, and the connection's shard figure follows the move.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "actors/data_plane.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace tr;
using namespace std::chrono_literals;

namespace {

constexpr const char* report_json =
    R"({"DevEUI_uplink":{"DevEUI":"00000000000000AA","FPort":3,"FCntUp":9,"payload_hex":"0102","CustomerID":"7"}})";

/// Runs `fn` on shard `index` and waits for it.
template <class F>
void on_shard(transport::runtime& rt, std::size_t index, F fn) {
  std::promise<void> done;
  rt.at(index).post([&](transport::shard&) {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace

TEST(data_plane_move, a_moved_connection_loses_no_report_and_reports_its_new_shard) {
  test::temp_dir dir;
  auto pki = test::make_test_pki(dir.path());
  test::test_as as{pki.cert_file, pki.key_file};
  as.set_delay(20ms);  // so that requests are in flight on the old owner when it moves

  transport::runtime rt{2};
  rt.start();
  actors::metrics_registry metrics;
  actors::downlink_verifier downlinks{{}};
  transport::tls_client_config tls;
  tls.ca_file = pki.ca_file;
  actors::uplink_environment env{*transport::tls_context::client(tls)};
  actors::data_plane plane{rt, metrics, env, {}, downlinks};

  store::connection c;
  c.id = "00000000000000c1";
  c.url = "https://localhost:" + std::to_string(as.port()) + "/up";
  c.as_id = "as";
  c.key = "00112233445566778899aabbccddeeff";
  store::device_route route{"00000000000000AA", {c.id}};
  plane.load({c}, {route});
  auto first = static_cast<std::size_t>(plane.shard_of(c.id));

  auto send = [&](int count) {
    for (int i = 0; i < count; ++i) {
      on_shard(rt, 0, [&] {
        actors::ingress_answer answer;
        plane.local().reports->handle_report("", report_json, answer);
        EXPECT_EQ(answer.status, 202);
      });
    }
  };
  send(20);
  plane.move(c.id, 1 - first);
  EXPECT_EQ(plane.shard_of(c.id), static_cast<int>(1 - first));
  send(20);

  ASSERT_TRUE(as.wait_for(40));
  auto figures = metrics.connection(c.id);
  for (int i = 0; i < 100 && figures->total(actors::uplink_outcome::delivered) < 40; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(figures->total(actors::uplink_outcome::delivered), 40u);
  EXPECT_EQ(figures->total(actors::uplink_outcome::failed), 0u);
  EXPECT_EQ(figures->total(actors::uplink_outcome::shed), 0u);
  EXPECT_EQ(figures->shard.load(), static_cast<int>(1 - first));
  rt.stop();
}
