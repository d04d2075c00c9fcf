// A connection moved between shards under load: every report still ends delivered, the old
// owner finishes what it had in flight, and the connection's shard figure follows the move.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
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

/// A data plane on a two-shard runtime, its connections pointing at a real HTTPS AS.
struct data_plane_move : ::testing::Test {
  test::temp_dir dir;
  test::test_pki pki = test::make_test_pki(dir.path());
  test::test_as as{pki.cert_file, pki.key_file};
  transport::runtime rt{2};
  actors::metrics_registry metrics;
  actors::downlink_verifier downlinks{{}};
  actors::uplink_environment env{client_tls(pki.ca_file)};
  actors::data_plane plane{rt, metrics, env, {}, downlinks};

  void SetUp() override { rt.start(); }
  /// The runtime stops before the owners it drives are destroyed with the plane.
  void TearDown() override { rt.stop(); }

  /// A connection to the test AS.
  store::connection connection(std::string id, const std::string& path = "/up",
                               std::string as_id = "as") {
    store::connection c;
    c.id = std::move(id);
    c.url = "https://localhost:" + std::to_string(as.port()) + path;
    c.as_id = std::move(as_id);
    c.key = "00112233445566778899aabbccddeeff";
    return c;
  }
  /// One report through shard 0's ingress, as an NS connection there hands it; the answer's status.
  int send_report(const std::string& body = report_json) {
    int status = 0;
    on_shard(rt, 0, [&] {
      actors::ingress_answer answer;
      plane.local().reports->handle_report("", body, answer);
      status = answer.status;
    });
    return status;
  }

  static transport::tls_context client_tls(const std::string& ca_file) {
    transport::tls_client_config tls;
    tls.ca_file = ca_file;
    return *transport::tls_context::client(tls);
  }
};

}  // namespace

TEST_F(data_plane_move, a_moved_connection_loses_no_report_and_reports_its_new_shard) {
  as.set_delay(20ms);  // so that requests are in flight on the old owner when it moves

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
}

TEST_F(data_plane_move, an_uplink_in_flight_during_a_move_settles_the_losses_the_successor_holds) {
  auto c = connection("00000000000000c2");
  plane.load({c}, {store::device_route{"00000000000000AA", {c.id}}});
  auto first = static_cast<std::size_t>(plane.shard_of(c.id));
  auto send = [&] { EXPECT_EQ(send_report(), 202); };
  auto figures = metrics.connection(c.id);
  auto wait_outcomes = [&](std::uint64_t count) {
    for (int i = 0; i < 250; ++i) {
      if (figures->total(actors::uplink_outcome::delivered) +
              figures->total(actors::uplink_outcome::failed) >=
          count)
        return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };

  as.set_status(503);
  send();  // failed: the device has lost one uplink
  ASSERT_TRUE(wait_outcomes(1));
  as.set_status(200);
  as.set_delay(300ms);
  send();  // tells the AS of that loss; still in flight when the connection moves
  ASSERT_TRUE(as.wait_for(2));
  plane.move(c.id, 1 - first);
  ASSERT_TRUE(wait_outcomes(2));  // delivered by the old owner: the AS now knows of the loss
  as.set_delay(0ms);
  send();
  ASSERT_TRUE(as.wait_for(3));
  auto requests = as.requests();
  EXPECT_NE(requests[1].body.find(R"("LostUplinksAS":1)"), std::string::npos) << requests[1].body;
  EXPECT_NE(requests[2].body.find(R"("LostUplinksAS":0)"), std::string::npos)
      << "the successor told the AS again of a loss already told: " << requests[2].body;
}

TEST_F(data_plane_move, connections_carrying_uplinks_gather_on_the_shard_their_reports_arrive_on) {
  // Four connections spread by count over the two shards; reports arrive on shard 0, as they do
  // when every NS connection has gathered there (transport::load_following).
  std::vector<store::connection> connections;
  std::vector<store::device_route> routes;
  for (int i = 0; i < 4; ++i) {
    auto id = "00000000000000d" + std::to_string(i);
    routes.push_back({"00000000000000D" + std::to_string(i), {id}});
    connections.push_back(connection(id, "/" + id, "as" + std::to_string(i)));
  }
  plane.load(connections, routes);
  std::size_t away = 0;
  for (auto& c : connections) away += plane.shard_of(c.id) == 1 ? 1 : 0;
  ASSERT_EQ(away, 2u) << "placed by count at load";

  auto send_each = [&](int count) {
    for (int n = 0; n < count; ++n) {
      for (auto& r : routes) {
        EXPECT_EQ(send_report(R"({"DevEUI_uplink":{"DevEUI":")" + r.dev_eui +
                              R"(","FPort":1,"FCntUp":1,"payload_hex":"00","CustomerID":"1"}})"),
                  202);
      }
    }
  };
  auto delivered = [&] {
    std::uint64_t total = 0;
    for (auto& c : connections)
      total += metrics.connection(c.id)->total(actors::uplink_outcome::delivered);
    return total;
  };
  auto wait_delivered = [&](std::uint64_t count) {
    for (int i = 0; i < 250 && delivered() < count; ++i) std::this_thread::sleep_for(20ms);
    return delivered();
  };

  // Gathering needs the shards light (a busy machine can stretch this test's turns).
  auto wait_light = [&] {
    auto light = [&] {
      for (std::size_t i = 0; i < rt.size(); ++i)
        if (rt.at(i).load().busy_ns_per_second >= 150'000'000) return false;
      return true;
    };
    for (int i = 0; i < 250 && !light(); ++i) std::this_thread::sleep_for(20ms);
    return light();
  };

  EXPECT_TRUE(plane.rebalance().empty()) << "no uplinks yet";
  send_each(60);  // 120 uplinks on the two connections away from shard 0: past gather_min_rate
  ASSERT_EQ(wait_delivered(240), 240u);
  ASSERT_TRUE(wait_light());
  auto moves = plane.rebalance();
  ASSERT_EQ(moves.size(), 2u);
  for (auto& m : moves) {
    EXPECT_EQ(m.from, 1u);
    EXPECT_EQ(m.to, 0u);
  }
  for (auto& c : connections) EXPECT_EQ(plane.shard_of(c.id), 0) << c.id;

  send_each(10);
  EXPECT_EQ(wait_delivered(280), 280u);
  for (auto& c : connections) {
    auto figures = metrics.connection(c.id);
    EXPECT_EQ(figures->total(actors::uplink_outcome::shed), 0u) << c.id;
    EXPECT_EQ(figures->total(actors::uplink_outcome::failed), 0u) << c.id;
    EXPECT_EQ(figures->shard.load(), 0) << c.id;
  }
  EXPECT_TRUE(plane.rebalance().empty()) << "nothing left away from shard 0";
}

TEST_F(data_plane_move, a_crashing_connection_actor_is_restarted_alone) {
  std::mutex mutex;
  std::vector<std::string> crashed;
  plane.on_restart_request([&](const std::string& id) {
    std::lock_guard lock{mutex};
    crashed.push_back(id);
  });

  auto make = [&](std::string id, std::string dev) {
    store::connection c;
    c.id = std::move(id);
    c.url = "https://localhost:" + std::to_string(as.port()) + "/" + c.id;
    c.as_id = "as";
    c.key = "00112233445566778899aabbccddeeff";
    return std::pair{c, store::device_route{std::move(dev), {c.id}}};
  };
  auto [bad, bad_route] = make("00000000000000b1", "00000000000000B1");
  auto [good, good_route] = make("00000000000000b2", "00000000000000B2");
  plane.load({bad, good}, {bad_route, good_route});

  auto send = [&](const std::string& dev) {
    on_shard(rt, 0, [&] {
      actors::ingress_answer answer;
      plane.local().reports->handle_report(
          "",
          R"({"DevEUI_uplink":{"DevEUI":")" + dev +
              R"(","FPort":1,"FCntUp":1,"payload_hex":"00","CustomerID":"1"}})",
          answer);
    });
  };
  auto home = static_cast<std::size_t>(plane.shard_of(bad.id));
  on_shard(rt, home, [&] {
    auto& state = plane.state_of(home);
    state.owners[*state.routes.find(bad.id)]->inject_fault_for_testing();
  });
  send("00000000000000B1");  // the defect strikes here
  send("00000000000000B2");
  for (int i = 0; i < 100; ++i) {
    std::lock_guard lock{mutex};
    if (!crashed.empty()) break;
    std::this_thread::sleep_for(10ms);
  }
  {
    std::lock_guard lock{mutex};
    ASSERT_EQ(crashed, std::vector<std::string>{bad.id});
  }
  plane.restart(bad.id);  // what the supervisor does with the report
  send("00000000000000B1");
  send("00000000000000B2");
  ASSERT_TRUE(as.wait_for(3));
  auto bad_figures = metrics.connection(bad.id);
  auto good_figures = metrics.connection(good.id);
  for (int i = 0; i < 100 && (bad_figures->total(actors::uplink_outcome::delivered) < 1 ||
                              good_figures->total(actors::uplink_outcome::delivered) < 2);
       ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(bad_figures->total(actors::uplink_outcome::delivered), 1u);  // the fresh owner delivers
  EXPECT_EQ(bad_figures->restarts.load(), 1u);
  EXPECT_EQ(good_figures->total(actors::uplink_outcome::delivered),
            2u);  // the neighbour never noticed
  EXPECT_EQ(good_figures->restarts.load(), 0u);
}

TEST_F(data_plane_move, a_restart_asked_before_a_move_leaves_the_moved_owner_alone) {
  auto c = connection("00000000000000b3");
  plane.load({c}, {store::device_route{"00000000000000AA", {c.id}}});
  std::atomic<int> asked{0};
  plane.on_restart_request([&](const std::string&) { ++asked; });
  auto send = [&] { send_report(); };
  auto home = static_cast<std::size_t>(plane.shard_of(c.id));
  on_shard(rt, home, [&] {
    auto& state = plane.state_of(home);
    state.owners[*state.routes.find(c.id)]->inject_fault_for_testing();
  });
  send();  // the owner crashes and asks for a restart
  for (int i = 0; i < 100 && asked == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(asked, 1);
  plane.move(c.id, 1 - home);  // a rebalancing sample got there first: a healthy owner now
  plane.restart(c.id);         // the supervisor reads the request afterwards
  auto figures = metrics.connection(c.id);
  EXPECT_EQ(figures->restarts.load(), 0u);
  EXPECT_EQ(plane.shard_of(c.id), static_cast<int>(1 - home));
  send();
  ASSERT_TRUE(as.wait_for(1));
  for (int i = 0; i < 100 && figures->total(actors::uplink_outcome::delivered) < 1; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(figures->total(actors::uplink_outcome::delivered), 1u);
  EXPECT_EQ(figures->total(actors::uplink_outcome::failed), 1u) << "the one the crash took";
}
