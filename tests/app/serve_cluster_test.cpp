// Cluster mode end to end: two router processes (`tunnel-router serve`) on one PostgreSQL, a real
// AS and NS over TLS, the admin API and the ingress driven as users do. Each test has a schema of
// its own on the test server; the outage test runs a server of its own to stop and start.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include "store/database.hpp"
#include "tests/app/in_process.hpp"
#include "tests/app/router_process.hpp"
#include "tests/app/test_as.hpp"
#include "tests/store/postgres_server.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/test_pki.hpp"

using namespace tr::test;
using namespace std::chrono_literals;
using tr::store::testing::postgres_database_scope;

namespace {

constexpr const char* data_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr const char* admin_token = "cluster-admin-token-0123456789abcdef";
constexpr const char* dev_eui = "20635F0108000496";
constexpr const char* uplink_json =
    R"({"DevEUI_uplink":{"Time":"2021-04-07T08:49:51.3+00:00","DevEUI":"20635F0108000496","FPort":17,)"
    R"("FCntUp":18,"payload_hex":"032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab",)"
    R"("CustomerID":"100002167","CustomerData":{"alr":{"pro":"LORA/Generic","ver":"1"}}}})";

using tr::test::eventually;
using tr::test::wire_time;

struct serve_cluster : ::testing::Test {
  temp_dir certs;
  test_pki pki = make_test_pki(certs.path());
  std::unique_ptr<test_as> as, ns;
  std::unique_ptr<router_process> a, b;
  std::string id, key;
  std::string other_id, other_key;  ///< the second connection (connect_second())

  void SetUp() override {
    ::setenv("TUNNEL_ROUTER_DATA_KEY", data_key, 1);
    as = std::make_unique<test_as>(pki.cert_file, pki.key_file);
    ns = std::make_unique<test_as>(pki.cert_file, pki.key_file);
  }
  void TearDown() override { ::unsetenv("TUNNEL_ROUTER_DATA_KEY"); }

  std::unique_ptr<router_process> start(const std::string& url, const std::string& extra = "") {
    return std::make_unique<router_process>(
        "[store]\nurl = " + url + "\n[admin]\ntoken = " + admin_token +
        "\n[public]\ntls_cert = " + pki.cert_file + "\ntls_key = " + pki.key_file +
        "\n[as]\nca_file = " + pki.ca_file + "\nrequest_timeout_ms = 2000\n" +
        "[ns]\ndownlink_url = https://localhost:" + std::to_string(ns->port()) + "/ns\n" + extra);
  }

  /// Creates the connection to the AS on `on` and routes the device to it.
  void connect(router_process& on) {
    auto made = on.admin("POST", "/api/v1/connections",
                         R"({"name":"AS","url":"https://localhost:)" + std::to_string(as->port()) +
                             R"(/up","contentType":"JSON","asId":"TWA_100002167.1111.AS"})");
    ASSERT_EQ(made.status, 201) << made.body;
    id = json_field(made.body, "id");
    key = json_field(made.body, "key");
    auto routed = on.admin("PUT", std::string{"/api/v1/devices/"} + dev_eui,
                           R"({"connections":[")" + id + R"("]})");
    ASSERT_EQ(routed.status, 200) << routed.body;
  }

  /// After connect(): creates a second connection (asId AS2, path /up2) on `on` and routes the
  /// device to both.
  void connect_second(router_process& on) {
    auto other =
        on.admin("POST", "/api/v1/connections",
                 R"({"name":"AS2","url":"https://localhost:)" + std::to_string(as->port()) +
                     R"(/up2","contentType":"JSON","asId":"AS2"})");
    ASSERT_EQ(other.status, 201) << other.body;
    other_id = json_field(other.body, "id");
    other_key = json_field(other.body, "key");
    ASSERT_EQ(on.admin("PUT", std::string{"/api/v1/devices/"} + dev_eui,
                       R"({"connections":[")" + id + R"(",")" + other_id + R"("]})")
                  .status,
              200);
  }

  static bool routes(router_process& r) { return r.report(uplink_json).body == R"({"routed":1})"; }

  /// Replicas a and b on `url`, the connection made on a and routed by b, and one downlink
  /// accepted through a (its downlink checks then have a session open).
  void start_both_with_a_downlink(const std::string& url) {
    a = start(url);
    b = start(url);
    connect(*a);
    ASSERT_TRUE(eventually([&] { return routes(*b); }, 2s));
    EXPECT_EQ(post_downlink(*a, downlink(1)).status, 200);
  }

  /// Routes device 0000000000000001 to the connection through `on`: the status of that write.
  int route_a_device(router_process& on) {
    return on
        .admin("PUT", "/api/v1/devices/0000000000000001", R"({"connections":[")" + id + R"("]})")
        .status;
  }

  std::string downlink(int payload) { return downlink_for(payload, "TWA_100002167.1111.AS", key); }

  std::string downlink_for(int payload, const std::string& as_id, const std::string& signing_key) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%02X", payload & 0xff);
    auto query = "DevEUI=" + std::string{dev_eui} + "&FPort=1&Payload=" + hex + "&AS_ID=" + as_id +
                 "&Time=" + wire_time();
    return query + "&Token=" + sha256_hex(percent_decoded(query) + signing_key);
  }

  http_result post_downlink(router_process& to, const std::string& query) {
    return curl({"--cacert", pki.ca_file, "-X", "POST", "--http1.1",
                 "https://localhost:" + std::to_string(to.public_port()) +
                     "/thingpark/lrc/rest/downlink?" + query});
  }
};

}  // namespace

TEST_F(serve_cluster, changes_made_on_one_replica_are_routed_by_the_other) {
  postgres_database_scope db;
  a = start(db.url());
  b = start(db.url());
  connect(*a);
  ASSERT_TRUE(eventually([&] { return routes(*b); }, 2s)) << "B never routed the new device";

  auto renewed = b->admin("POST", "/api/v1/connections/" + id + "/key");
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  auto new_key = json_field(renewed.body, "key");
  ASSERT_NE(new_key, key);
  std::this_thread::sleep_for(1s);  // propagation is in milliseconds; the target is 1 s
  auto before = as->count();
  ASSERT_TRUE(routes(*a));
  ASSERT_TRUE(as->wait_for(before + 1));
  auto got = as->requests().back();
  auto q = query_params(got.query);
  EXPECT_EQ(q.at("Token"), expected_token(new_key, q)) << "A still signs with the old key";

  ASSERT_EQ(b->admin("DELETE", "/api/v1/connections/" + id).status, 204);
  EXPECT_TRUE(eventually([&] { return !routes(*a); }, 2s)) << "A still routes a deleted connection";

  auto listed = a->admin("GET", "/api/v1/instances");
  EXPECT_EQ(listed.status, 200) << listed.body;
  EXPECT_TRUE(eventually([&] { return a->metric("tunnel_router_cluster_instances") == 2; }, 5s));
  EXPECT_EQ(a->metric("tunnel_router_store_up"), 1);
  // A replica that stops leaves the list at once (not when its heartbeat ages out, 6 s).
  auto live = a->admin("GET", "/api/v1/instances").body;
  EXPECT_EQ(std::count(live.begin(), live.end(), '{') - 1, 2) << live;
  EXPECT_EQ(b->terminate(), 0);
  auto after = a->admin("GET", "/api/v1/instances").body;
  EXPECT_EQ(std::count(after.begin(), after.end(), '{') - 1, 1) << after;
}

TEST_F(serve_cluster, a_downlink_accepted_by_one_replica_is_a_replay_on_the_other) {
  postgres_database_scope db;
  a = start(db.url(), "[downlink]\nrate_per_s = 1\nburst = 3\n");
  b = start(db.url(), "[downlink]\nrate_per_s = 1\nburst = 3\n");
  connect(*a);
  ASSERT_TRUE(eventually([&] { return routes(*b); }, 2s));

  auto first = downlink(1);
  auto accepted = post_downlink(*a, first);
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  auto replayed = post_downlink(*b, first);
  EXPECT_EQ(replayed.status, 409) << replayed.body;
  EXPECT_TRUE(eventually(
      [&] { return b->process().errors().find("outcome=replay status=409") != std::string::npos; },
      2s))
      << b->process().errors();
  // The token's hex digits in upper case are the same token (it verifies the same): spent too.
  auto upper = first;
  auto at = upper.find("&Token=") + 7;
  for (auto i = at; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  EXPECT_EQ(post_downlink(*a, upper).status, 409);
  EXPECT_EQ(post_downlink(*b, upper).status, 409);

  // The bucket (3 tokens, refilled at 1/s) is the cluster's: whichever replica gets them, no
  // more pass than it holds plus what it refilled meanwhile (two buckets would pass twice that).
  auto started = std::chrono::steady_clock::now();
  int passed = 1, limited = 0;
  for (int i = 0; i < 10; ++i) {
    auto status = post_downlink(i % 2 ? *a : *b, downlink(2 + i)).status;
    passed += status == 200;
    limited += status == 429;
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LE(passed, 3 + static_cast<int>(seconds) + 1) << "in " << seconds << " s";
  EXPECT_GT(limited, 0);
}

TEST_F(serve_cluster, without_the_data_key_serve_exits_1_naming_the_variable) {
  postgres_database_scope db;
  ::unsetenv("TUNNEL_ROUTER_DATA_KEY");
  try {
    start(db.url());
    FAIL() << "the router started without a data key";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string{e.what()}.find("TUNNEL_ROUTER_DATA_KEY"), std::string::npos) << e.what();
  }
}

/// A PostgreSQL server of this test alone, to stop and start again.
class own_postgres {
 public:
  own_postgres() : state_(dir_.path()) { run("start"); }
  ~own_postgres() { run("stop"); }
  void pause() { run("pause"); }
  void resume() { run("resume"); }
  void freeze() { run("freeze"); }
  void thaw() { run("thaw"); }
  std::string url() const {
    std::ifstream in{state_ + "/url"};
    std::string out;
    std::getline(in, out);
    return out;
  }

 private:
  void run(const std::string& action) {
    auto command = std::string{TR_SOURCE_DIR} + "/scripts/test-postgres.sh " + action + " " +
                   state_ + " >/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("test-postgres.sh " + action);
  }
  temp_dir dir_;
  std::string state_;
};

TEST_F(serve_cluster, when_the_database_is_down_routing_goes_on_and_writes_fail_fast) {
  own_postgres server;
  start_both_with_a_downlink(server.url());
  if (HasFatalFailure()) return;

  server.pause();
  std::this_thread::sleep_for(500ms);
  auto before = as->count();
  EXPECT_TRUE(routes(*a));
  EXPECT_TRUE(routes(*b));
  EXPECT_TRUE(as->wait_for(before + 2)) << "uplinks were not delivered during the outage";

  auto started = std::chrono::steady_clock::now();
  auto write =
      b->admin("PUT", "/api/v1/devices/0000000000000001", R"({"connections":[")" + id + R"("]})");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(write.status, 503);
  EXPECT_EQ(write.body, R"({"error":"store unavailable"})");
  EXPECT_EQ(post_downlink(*a, downlink(9)).status, 503);
  auto ready = curl({a->admin_url("/readyz")});
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(a->metric("tunnel_router_store_up"), 0);

  server.resume();
  ASSERT_TRUE(eventually([&] { return route_a_device(*b) == 200; }, 15s))
      << "writes did not resume within 15 s";
  // Once a has resynced, its first calls go to new sessions, not to the ones the stopped server
  // closed: neither an admin call nor a downlink fails for it.
  ASSERT_TRUE(eventually(
      [&] { return a->process().errors().find("reachable again") != std::string::npos; }, 15s));
  EXPECT_EQ(a->admin("GET", "/api/v1/me").status, 200);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(post_downlink(*a, downlink(20 + i)).status, 200) << i;
  auto deleted = b->admin("DELETE", "/api/v1/connections/" + id);
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(eventually([&] { return !routes(*a); }, 15s)) << "propagation did not resume";
  EXPECT_NE(a->process().errors().find("PostgreSQL unreachable"), std::string::npos);
  // Logged once the resync is done, which may be a moment after its changes were applied.
  EXPECT_TRUE(eventually(
      [&] { return a->process().errors().find("reachable again") != std::string::npos; }, 5s));
}

TEST_F(serve_cluster, when_the_database_stops_answering_writes_and_downlinks_fail_within_seconds) {
  own_postgres server;
  start_both_with_a_downlink(server.url());
  if (HasFatalFailure()) return;

  // Every process of the server stopped: connections stay open, nothing answers.
  server.freeze();
  auto started = std::chrono::steady_clock::now();
  auto write =
      b->admin("PUT", "/api/v1/devices/0000000000000001", R"({"connections":[")" + id + R"("]})");
  // Found within about 4 s (the listener asks every second and waits 3 s); a loaded machine
  // adds its delays.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 8s);
  EXPECT_EQ(write.status, 503) << write.body;
  started = std::chrono::steady_clock::now();
  EXPECT_EQ(post_downlink(*a, downlink(2)).status, 503);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 8s);
  EXPECT_TRUE(routes(*a));
  EXPECT_TRUE(eventually([&] { return a->metric("tunnel_router_store_up") == 0; }, 6s));
  EXPECT_TRUE(eventually(
      [&] { return a->process().errors().find("PostgreSQL unreachable") != std::string::npos; },
      6s));

  server.thaw();
  EXPECT_TRUE(eventually([&] { return route_a_device(*b) == 200; }, 15s))
      << "writes did not resume within 15 s";
  EXPECT_TRUE(eventually([&] { return post_downlink(*a, downlink(3)).status == 200; }, 15s));
  // Stopping does not wait for a server that answers nothing: within the drain (10 s).
  server.freeze();
  started = std::chrono::steady_clock::now();
  b->process().signal(SIGTERM);
  b->process().wait(20s);
  EXPECT_EQ(b->process().exit_code().value_or(-1), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 12s);
  server.thaw();
}

TEST(store_copy, moves_a_single_nodes_store_to_postgresql_and_refuses_a_second_run) {
  temp_dir folder;
  std::string file = folder.path() + "/data/router.db";
  std::string made_id, made_key;
  {
    // A single node: its own data.key beside the database, as `serve` makes it.
    ::unsetenv("TUNNEL_ROUTER_DATA_KEY");
    auto single = tr::store::database::open(file);
    ASSERT_TRUE(single) << single.error_value().message;
    tr::store::connection draft;
    draft.name = "AS";
    draft.url = "https://as.example.com/up";
    draft.as_id = "AS1";
    draft.headers = {{"X-A", "1"}};
    auto made = (*single)->create_connection(draft);
    ASSERT_TRUE(made);
    made_id = made->id;
    made_key = made->key;
    ASSERT_TRUE((*single)->import_device_routes(
        {{"0000000000000001", {made_id}}, {"0000000000000002", {made_id}}}));
    ASSERT_TRUE((*single)->create_domain_group({"Region", "", "", {}}));
    ASSERT_TRUE((*single)->create_domain({"Region", "EMEA", "", true, {}}));
    ASSERT_TRUE((*single)->create_domain({"Region", "EMEA/France", "", true, {}}));
    ASSERT_TRUE(
        (*single)->create_user("tenant", tr::store::role::viewer, {{"Region", "EMEA/France"}}));
  }
  postgres_database_scope db;
  ::setenv("TUNNEL_ROUTER_DATA_KEY", data_key, 1);
  auto copy = [&](const std::string& extra) {
    child_process run{{TR_BINARY, "store", "copy", "--from", file, "--to", db.url() + extra}};
    int code = run.wait().value_or(-1);
    return std::make_pair(code, run.output() + run.errors());
  };
  auto [code, out] = copy("");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("copied 1 connections, 2 device routes (2 devices), 1 users, "),
            std::string::npos)
      << out;
  auto again = copy("");
  EXPECT_EQ(again.first, 1) << again.second;
  EXPECT_NE(again.second.find("not empty"), std::string::npos) << again.second;

  auto shared = tr::store::database::open(tr::store::open_options{{}, data_key, db.url()});
  ASSERT_TRUE(shared) << shared.error_value().message;
  auto found = (*shared)->get_connection(made_id);
  ASSERT_TRUE(found) << found.error_value().message;
  EXPECT_EQ(found->key, made_key);
  EXPECT_EQ(found->headers.size(), 1u);
  EXPECT_EQ((*shared)->list_device_routes()->size(), 2u);
  EXPECT_EQ((*shared)->list_domains()->size(), 2u);
  auto users = (*shared)->list_users();
  ASSERT_TRUE(users && users->size() == 1u);
  EXPECT_EQ(users->front().role, tr::store::role::viewer);
  EXPECT_EQ(users->front().domains,
            (std::vector<tr::store::domain_ref>{{"Region", "EMEA/France"}}));
  ::unsetenv("TUNNEL_ROUTER_DATA_KEY");
}

TEST_F(serve_cluster, the_status_on_any_replica_merges_the_figures_of_every_live_replica) {
  postgres_database_scope db;
  a = start(db.url());
  b = start(db.url());
  connect(*a);
  ASSERT_TRUE(eventually([&] { return routes(*b); }, 2s));  // one uplink delivered by B
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(routes(*a));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(routes(*b));
  ASSERT_TRUE(as->wait_for(5));
  as->set_status(500);
  ASSERT_TRUE(routes(*b));
  std::string failed = "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"failed\"}";
  ASSERT_TRUE(b->wait_metric(failed, 1));
  EXPECT_EQ(a->metric(failed), 0) << "the failure happened on B alone";

  // Each replica publishes what changed every 5 s: within that, either one answers for both.
  auto instances = a->admin("GET", "/api/v1/instances").body;
  for (auto* replica : {a.get(), b.get()}) {
    std::string body;
    EXPECT_TRUE(eventually(
        [&] {
          body = replica->admin("GET", "/api/v1/connections/" + id + "/status").body;
          return body.find(R"("lastMinute":{"delivered":5,"failed":1,)") != std::string::npos;
        },
        12s))
        << body;
    EXPECT_NE(body.find(R"("last15Minutes":{"delivered":5,"failed":1,)"), std::string::npos)
        << body;
    EXPECT_TRUE(
        std::regex_search(body, std::regex{R"("latencyMs":\{"p50":[0-9.]+,"p99":[0-9.]+\})"}))
        << body;
    EXPECT_TRUE(std::regex_search(
        body, std::regex{R"("failures":\[\{"at":"[^"]+","kind":"http","status":500,)"}))
        << body;
    std::smatch listed;
    ASSERT_TRUE(
        std::regex_search(body, listed, std::regex{R"re("replicas":\["([^"]+)","([^"]+)"\])re"}))
        << body;
    EXPECT_NE(listed[1], listed[2]);
    EXPECT_NE(instances.find("\"" + listed[1].str() + "\""), std::string::npos) << instances;
    EXPECT_NE(instances.find("\"" + listed[2].str() + "\""), std::string::npos) << instances;
  }
}

namespace {

/// A session of the test's own on the database, holding a transaction open (a slow database:
/// what it locks, others wait for).
class blocking_session {
 public:
  explicit blocking_session(const std::string& url) : db_(PQconnectdb(url.c_str())) {
    if (PQstatus(db_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(db_));
    run("BEGIN");
  }
  ~blocking_session() { PQfinish(db_); }
  void run(const std::string& sql) {
    PGresult* r = PQexec(db_, sql.c_str());
    auto status = PQresultStatus(r);
    std::string problem = PQresultErrorMessage(r);
    PQclear(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      throw std::runtime_error(sql + ": " + problem);
  }
  void rollback() { run("ROLLBACK"); }

 private:
  PGconn* db_;
};

/// One request made on a thread of its own, so the test can watch it still waiting.
class pending_request {
 public:
  explicit pending_request(std::function<http_result()> make)
      : thread_([this, make = std::move(make)] {
          auto got = make();
          std::lock_guard lock{mutex_};
          result_ = got;
        }) {}
  ~pending_request() {
    if (thread_.joinable()) thread_.join();
  }
  std::optional<http_result> result() {
    std::lock_guard lock{mutex_};
    return result_;
  }
  http_result wait() {
    thread_.join();
    thread_ = std::thread{};
    return *result();
  }

 private:
  std::mutex mutex_;
  std::optional<http_result> result_;
  std::thread thread_;
};

}  // namespace

TEST_F(serve_cluster,
       a_slow_downlink_check_delays_neither_uplinks_nor_other_downlinks_on_its_shard) {
  postgres_database_scope db;
  ::setenv("TUNNEL_ROUTER_RUNTIME_SHARDS", "1", 1);  // one shard: everything below shares it
  a = start(db.url());
  ::unsetenv("TUNNEL_ROUTER_RUNTIME_SHARDS");
  connect(*a);
  connect_second(*a);

  // A second session locks the first connection's token bucket: its check waits for the lock.
  blocking_session slow{db.url()};
  slow.run("INSERT INTO downlink_buckets (connection_id, tokens, refilled_at) VALUES ('" + id +
           "', 20, now())");
  auto stuck_query = downlink(1);
  pending_request stuck{[&] { return post_downlink(*a, stuck_query); }};
  std::this_thread::sleep_for(300ms);  // let it reach the database
  ASSERT_FALSE(stuck.result()) << "the check did not wait for the lock";

  auto before = as->count();
  EXPECT_EQ(a->report(uplink_json).body, R"({"routed":2})");
  EXPECT_TRUE(as->wait_for(before + 2, 1s)) << "uplinks waited for the downlink check";
  auto quick = post_downlink(*a, downlink_for(2, "AS2", other_key));
  EXPECT_EQ(quick.status, 200) << quick.body;
  EXPECT_FALSE(stuck.result()) << "the stuck check ended before the test released it";

  // The stuck check runs out of its time budget: 503, nothing spent, so the same downlink
  // passes once the database is free again.
  auto refused = stuck.wait();
  EXPECT_EQ(refused.status, 503) << refused.body;
  slow.rollback();
  auto again = post_downlink(*a, stuck_query);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(post_downlink(*a, stuck_query).status, 409);
}

TEST_F(serve_cluster, a_replica_behind_the_change_log_reloads_and_drops_what_was_deleted) {
  postgres_database_scope db;
  a = start(db.url());
  connect(*a);
  connect_second(*a);
  ASSERT_EQ(route_a_device(*a), 200);
  std::string kept_device = uplink_json;
  kept_device.replace(kept_device.find(dev_eui), 16, "0000000000000001");
  ASSERT_EQ(a->report(uplink_json).body, R"({"routed":2})");
  auto other_fuse = "tunnel_router_fuse_state{connection=\"" + other_id + "\"}";
  ASSERT_EQ(a->metric(other_fuse), 0);

  // Another replica deleted a connection and a route long ago: the change log no longer has
  // them (pruned), so this replica must reload everything and notice what is gone.
  blocking_session other_replica{db.url()};
  other_replica.run("DELETE FROM connections WHERE id = '" + other_id + "'");
  other_replica.run("DELETE FROM device_routes WHERE dev_eui = '" + std::string{dev_eui} + "'");
  other_replica.run(
      "UPDATE cluster_state SET generation = generation + 20000, "
      "pruned_through = generation + 15000");
  other_replica.run("COMMIT");

  EXPECT_TRUE(eventually([&] { return a->report(uplink_json).status == 404; }, 5s))
      << "the deleted route is still routed: " << a->report(uplink_json).body;
  EXPECT_TRUE(eventually([&] { return a->metric(other_fuse) == -1; }, 5s))
      << "the deleted connection still runs";
  EXPECT_EQ(a->report(kept_device).body, R"({"routed":1})");
  EXPECT_NE(a->process().errors().find("reloading everything"), std::string::npos);
}

TEST_F(serve_cluster, live_replicas_share_each_connections_fuse_ceiling) {
  postgres_database_scope db;
  // A hung AS: every uplink sent stays in flight, so what the AS holds is what the fuses let
  // through. Latency target and timeout far away: the fuses stay closed meanwhile.
  ::setenv("TUNNEL_ROUTER_AS_REQUEST_TIMEOUT_MS", "60000", 1);
  std::string fuse =
      "[fuse]\nmax_concurrency = 6\nlatency_target_ms = 30000\n"
      "[runtime]\ndrain_timeout_ms = 100\n";
  a = start(db.url(), fuse);
  b = start(db.url(), fuse);
  ::unsetenv("TUNNEL_ROUTER_AS_REQUEST_TIMEOUT_MS");
  connect(*a);
  ASSERT_TRUE(eventually([&] { return routes(*b); }, 2s));
  auto limit_of = [&](router_process& r) {
    auto status = r.admin("GET", "/api/v1/connections/" + id + "/status");
    auto at = status.body.find("\"limit\":");
    return at == std::string::npos ? -1 : std::atoi(status.body.c_str() + at + 8);
  };
  EXPECT_TRUE(eventually([&] { return limit_of(*a) == 3 && limit_of(*b) == 3; }, 10s))
      << "limits " << limit_of(*a) << " and " << limit_of(*b) << " with two replicas";

  as->set_hang(true);
  auto before = as->count();
  for (int i = 0; i < 10; ++i) {
    routes(*a);
    routes(*b);
  }
  EXPECT_TRUE(as->wait_for(before + 6, 5s));
  std::this_thread::sleep_for(300ms);  // anything beyond the ceiling would have arrived by now
  EXPECT_EQ(as->count(), before + 6) << "the AS holds more than fuse.max_concurrency";
}

TEST_F(serve_cluster, patches_of_different_fields_on_two_replicas_at_once_both_hold) {
  postgres_database_scope db;
  a = start(db.url());
  b = start(db.url());
  connect(*a);
  auto path = "/api/v1/connections/" + id;
  ASSERT_TRUE(eventually([&] { return b->admin("GET", path).status == 200; }, 2s));
  // Each PATCH reads the connection, changes one field and stores the whole: made from a
  // connection the other replica has just replaced, it must be made again, not store the old
  // value of the other field.
  for (int round = 0; round < 12; ++round) {
    auto name = "name-" + std::to_string(round);
    auto info = "info-" + std::to_string(round);
    http_result named, informed;
    std::thread on_a{[&] { named = a->admin("PATCH", path, R"({"name":")" + name + R"("})"); }};
    std::thread on_b{
        [&] { informed = b->admin("PATCH", path, R"({"additionalInfo":")" + info + R"("})"); }};
    on_a.join();
    on_b.join();
    ASSERT_EQ(named.status, 200) << named.body;
    ASSERT_EQ(informed.status, 200) << informed.body;
    auto stored = a->admin("GET", path).body;
    EXPECT_EQ(json_field(stored, "name"), name) << "round " << round << ": " << stored;
    EXPECT_EQ(json_field(stored, "additionalInfo"), info) << "round " << round << ": " << stored;
  }
}

TEST_F(serve_cluster, a_key_regenerated_while_another_replica_patches_stays_the_key) {
  postgres_database_scope db;
  const std::string roomy = "[downlink]\nrate_per_s = 10000\nburst = 10000\n";
  a = start(db.url(), roomy);
  b = start(db.url(), roomy);
  connect(*a);
  ASSERT_TRUE(eventually([&] { return routes(*b); }, 2s));
  auto path = "/api/v1/connections/" + id;
  int payload = 1;
  auto accepts = [&](router_process& replica, const std::string& signing_key) {
    return post_downlink(replica, downlink_for(payload++, "TWA_100002167.1111.AS", signing_key))
               .status == 200;
  };
  // A PATCH committed on one replica just before the key changes on the other, and published
  // there after the change, would put the old key back on that replica for good.
  for (int round = 0; round < 30; ++round) {
    auto old_key = key;
    http_result named, renewed;
    std::thread on_a{[&] {
      named = a->admin("PATCH", path, R"({"name":"name-)" + std::to_string(round) + R"("})");
    }};
    std::thread on_b{[&] { renewed = b->admin("POST", path + "/key"); }};
    on_a.join();
    on_b.join();
    ASSERT_EQ(named.status, 200) << named.body;
    ASSERT_EQ(renewed.status, 200) << renewed.body;
    key = json_field(renewed.body, "key");
    ASSERT_NE(key, old_key);
    for (auto* replica : {a.get(), b.get()}) {
      const char* which = replica == a.get() ? "A" : "B";
      ASSERT_TRUE(eventually([&] { return accepts(*replica, key); }, 2s))
          << "round " << round << ": " << which << " never took the new key";
      EXPECT_FALSE(accepts(*replica, old_key))
          << "round " << round << ": " << which << " still takes the old key";
    }
  }
}

TEST_F(serve_cluster, sigterm_while_the_configuration_loads_stops_the_start_at_once) {
  // A load held up (here: the device routes locked by another session) is waited for, but a
  // SIGTERM ends the start within about a second, exit 0, without waiting for the load.
  postgres_database_scope db;
  a = start(db.url());  // creates the schema
  connect(*a);
  a.reset();
  blocking_session holder{db.url()};
  holder.run("LOCK TABLE device_routes IN ACCESS EXCLUSIVE MODE");
  temp_dir dir;
  write_file(dir.file("router.ini"), "[store]\nurl = " + db.url() +
                                         "\n[admin]\ntoken = " + admin_token +
                                         "\nlisten = 127.0.0.1:0\n[ingress]\nlisten = 127.0.0.1:0\n"
                                         "[public]\nlisten = 127.0.0.1:0\n");
  child_process second{{TR_BINARY, "serve", "--config", dir.file("router.ini")}};
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(second.running()) << second.errors();
  EXPECT_EQ(second.output().find("listening"), std::string::npos) << second.output();
  auto asked = std::chrono::steady_clock::now();
  second.signal(SIGTERM);
  auto code = second.wait(5s);
  auto took = std::chrono::steady_clock::now() - asked;
  holder.rollback();
  ASSERT_TRUE(code.has_value()) << "still waiting for the load";
  EXPECT_EQ(*code, 0) << second.errors();
  EXPECT_LT(took, 3s);
  EXPECT_NE(second.errors().find("stopped by a signal while the configuration was loading"),
            std::string::npos)
      << second.errors();
}
