// Supervision through the supervisor itself: a real store, data plane, shards and CAF actor
// system. A fuse actor that fails is restarted alone and its connection keeps delivering; a
// connection owner that fails is replaced alone and keeps its fuse; the fuse actor learns from
// its owner's batches and blacklists a refused AS.
#include <gtest/gtest.h>

#include <caf/all.hpp>

#include <future>
#include <thread>

#include "actors/data_plane.hpp"
#include "actors/fuse_actor.hpp"
#include "actors/supervisor.hpp"
#include "store/database.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/eventually.hpp"
#include "tests/app/in_process.hpp"

using namespace tr;
using namespace std::chrono_literals;

namespace {

using tr::test::eventually;
using tr::test::open_store;
using tr::test::make_caf_config;

struct supervision : ::testing::Test {
  test::temp_dir dir;
  test::test_pki pki = test::make_test_pki(dir.path());
  test::test_as as{pki.cert_file, pki.key_file};
  std::unique_ptr<store::database> db = open_store(dir.path());
  transport::runtime rt{2};
  actors::metrics_registry metrics;
  actors::downlink_verifier downlinks{{}};
  actors::uplink_environment env = environment(pki.ca_file);
  std::unique_ptr<caf::actor_system_config> caf_config = make_caf_config();
  std::unique_ptr<caf::actor_system> system = std::make_unique<caf::actor_system>(*caf_config);
  // Declared after the actor system: it holds the fuse actors' handles, so it goes first.
  std::unique_ptr<actors::data_plane> plane =
      std::make_unique<actors::data_plane>(rt, metrics, env, actors::connection_defaults{},
                                           downlinks);
  caf::actor supervisor;

  void SetUp() override {
    rt.start();
    supervisor = actors::spawn_supervisor(*system, *plane, *db);
    ASSERT_TRUE(eventually([&] { return plane->loaded(); }));
  }
  void TearDown() override {
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    system->await_all_actors_done();
    rt.stop();
    plane.reset();
  }

  static actors::uplink_environment environment(const std::string& ca_file) {
    transport::tls_client_config tls;
    tls.ca_file = ca_file;
    actors::uplink_environment made{*transport::tls_context::client(tls)};
    made.fuse_params.backoff_initial = 5000ms;
    return made;
  }

  /// A stored connection to `port`, with device `dev_eui` routed to it; waits until it runs.
  std::string connect(std::uint16_t port, const std::string& dev_eui) {
    store::connection draft;
    draft.name = dev_eui;
    draft.url = "https://localhost:" + std::to_string(port) + "/" + dev_eui;
    draft.as_id = "as." + dev_eui;
    auto made = db->create_connection(draft);
    EXPECT_TRUE(static_cast<bool>(made));
    auto id = made->id;
    EXPECT_TRUE(static_cast<bool>(db->put_device_route(dev_eui, {id})));
    EXPECT_TRUE(eventually([&] {
      return plane->with_owner(id, [](actors::connection_owner&) {});
    }));
    return id;
  }

  /// Hands one report for `dev_eui` to shard 0's ingress.
  void send(const std::string& dev_eui) {
    std::promise<void> done;
    rt.at(0).post([&](transport::shard&) {
      actors::ingress_answer answer;
      plane->local().reports->handle_report(
          "",
          R"({"DevEUI_uplink":{"DevEUI":")" + dev_eui +
              R"(","FPort":1,"FCntUp":1,"payload_hex":"00","CustomerID":"1"}})",
          answer);
      done.set_value();
    });
    done.get_future().wait();
  }

  /// The fuse link of connection `id`, read on its owner's shard.
  std::shared_ptr<actors::fuse_actor_link> fuse_of(const std::string& id) {
    std::promise<std::shared_ptr<actors::fuse_link>> link;
    EXPECT_TRUE(plane->with_owner(
        id, [&](actors::connection_owner& owner) { link.set_value(owner.fuse_of()); }));
    return std::dynamic_pointer_cast<actors::fuse_actor_link>(link.get_future().get());
  }

  std::uint64_t delivered(const std::string& id) {
    return metrics.connection(id)->total(actors::uplink_outcome::delivered);
  }
};

}  // namespace

TEST_F(supervision, a_failed_fuse_actor_is_restarted_alone_and_its_connection_keeps_delivering) {
  auto bad = connect(as.port(), "00000000000000B1");
  auto good = connect(as.port(), "00000000000000B2");
  auto link = fuse_of(bad);
  ASSERT_TRUE(link) << "the connection's fuse is not a fuse actor";
  auto neighbour = fuse_of(good)->actor();
  auto before = link->actor();
  ASSERT_TRUE(before);

  link->inject_fault_for_testing();
  ASSERT_TRUE(eventually([&] { return metrics.connection(bad)->fuse_restarts.load() == 1; }));
  ASSERT_TRUE(eventually([&] { return link->actor() && link->actor() != before; }));
  EXPECT_EQ(metrics.connection(good)->fuse_restarts.load(), 0u);
  EXPECT_EQ(fuse_of(good)->actor(), neighbour) << "the neighbour's fuse was restarted too";
  EXPECT_EQ(metrics.connection(bad)->restarts.load(), 0u) << "the owner was replaced too";

  send("00000000000000B1");
  send("00000000000000B2");
  EXPECT_TRUE(eventually([&] { return delivered(bad) == 1 && delivered(good) == 1; }))
      << delivered(bad) << " and " << delivered(good) << " delivered";
}

TEST_F(supervision, a_failed_connection_owner_is_replaced_alone_and_keeps_its_fuse) {
  auto bad = connect(as.port(), "00000000000000C1");
  auto good = connect(as.port(), "00000000000000C2");
  auto link = fuse_of(bad);
  ASSERT_TRUE(link);
  auto fuse_actor = link->actor();

  ASSERT_TRUE(plane->with_owner(
      bad, [](actors::connection_owner& owner) { owner.inject_fault_for_testing(); }));
  send("00000000000000C1");  // the defect strikes here; the supervisor replaces the owner
  ASSERT_TRUE(eventually([&] { return metrics.connection(bad)->restarts.load() == 1; }));
  EXPECT_EQ(metrics.connection(good)->restarts.load(), 0u);
  EXPECT_EQ(fuse_of(bad), link) << "the replacement got another fuse";
  EXPECT_EQ(link->actor(), fuse_actor);

  send("00000000000000C1");
  send("00000000000000C2");
  EXPECT_TRUE(eventually([&] { return delivered(bad) == 1 && delivered(good) == 1; }))
      << delivered(bad) << " and " << delivered(good) << " delivered";
}

TEST_F(supervision, the_fuse_actor_blacklists_a_refused_as_from_its_owner_batches) {
  auto refused_port = test::free_port();
  auto id = connect(refused_port, "00000000000000D1");
  auto state = [&] { return metrics.connection(id)->fuse_state.load(); };
  for (int i = 0; i < 200 && state() != 2; ++i) {
    send("00000000000000D1");
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(state(), 2) << "the fuse did not open for a refused AS";
  auto shed = metrics.connection(id)->total(actors::uplink_outcome::shed);
  send("00000000000000D1");
  EXPECT_TRUE(eventually([&] {
    return metrics.connection(id)->total(actors::uplink_outcome::shed) == shed + 1;
  })) << "an open fuse let an uplink through";
}
