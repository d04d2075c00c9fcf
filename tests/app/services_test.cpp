// The router's three services, each on its own: a real store, shards, data plane and supervisor
// (which loads the stored connections and routes), one service behind a real listener on
// loopback, and curl as the client. The ingress answers the NS's reports and counts them; the
// downlink service verifies a signed downlink and hands it to a real NS (plain HTTP here) or
// answers 503 without one; the admin service answers its own paths on the shard and the API
// through its worker.
#include <gtest/gtest.h>

#include <caf/all.hpp>

#include <ctime>
#include <future>
#include <thread>

#include "actors/data_plane.hpp"
#include "actors/supervisor.hpp"
#include "app/admin_service.hpp"
#include "app/downlink_service.hpp"
#include "app/ingress_service.hpp"
#include "store/database.hpp"
#include "tests/app/in_process.hpp"
#include "tests/app/router_process.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace tr;
using namespace std::chrono_literals;

namespace {

constexpr const char* device = "000000000F1D8693";
constexpr const char* neighbour = "000000000F1D8694";  // another of the NS sessions than device's

using tr::test::eventually;
using tr::test::make_caf_config;
using tr::test::open_store;
using tr::test::wire_time;

struct services : ::testing::Test {
  test::temp_dir dir;
  test::test_pki pki = test::make_test_pki(dir.path());
  std::unique_ptr<store::database> db = open_store(dir.path());
  transport::runtime rt{1};
  actors::metrics_registry metrics;
  actors::downlink_verifier verifier{{}};
  transport::tls_context client_tls = make_client_tls(pki.ca_file);
  actors::uplink_environment env{client_tls};
  std::unique_ptr<caf::actor_system_config> caf_config = make_caf_config();
  std::unique_ptr<caf::actor_system> system = std::make_unique<caf::actor_system>(*caf_config);
  std::unique_ptr<actors::data_plane> plane = std::make_unique<actors::data_plane>(
      rt, metrics, env, actors::connection_defaults{}, verifier);
  caf::actor supervisor;
  std::uint16_t port = 0;
  // The service under test: it outlives the shards, which are stopped in TearDown first.
  std::unique_ptr<app::ingress_service> ingress;
  std::unique_ptr<app::downlink_service> downlinks;
  std::unique_ptr<app::admin_service> admin;

  void SetUp() override {
    rt.start();
    supervisor = actors::spawn_supervisor(*system, *plane, *db);
    ASSERT_TRUE(eventually([&] { return plane->loaded(); }));
  }
  void TearDown() override {
    if (admin) admin->stop_worker();
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    system->await_all_actors_done();
    rt.stop();
    plane.reset();
  }

  void make_downlink_service(app::downlink_service::options options) {
    downlinks = std::make_unique<app::downlink_service>(*plane, metrics, verifier, client_tls,
                                                        rt.size(), std::move(options));
    listen(app::downlink_service::limits(),
           [this](auto& o, auto& c, auto& r) { downlinks->serve(o, c, r); });
  }

  static transport::tls_context make_client_tls(const std::string& ca_file) {
    transport::tls_client_config tls;
    tls.ca_file = ca_file;
    return *transport::tls_context::client(tls);
  }

  void listen(transport::server_options limits, transport::http_service service) {
    transport::http_listener_options options;
    options.limits = std::move(limits);
    auto bound = transport::listen_http(rt, options, std::move(service));
    ASSERT_TRUE(static_cast<bool>(bound)) << bound.status.message();
    port = bound.port;
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }

  /// A stored connection with AS_ID `as_id` and the test device routed to it; waits until the
  /// data plane runs it. Returns its key.
  std::string connect(const std::string& as_id, std::vector<std::string> devices = {device}) {
    store::connection draft;
    draft.name = as_id;
    draft.url = "https://localhost:1/up";
    draft.as_id = as_id;
    auto made = db->create_connection(draft);
    EXPECT_TRUE(static_cast<bool>(made));
    auto id = made->id;
    for (auto& d : devices) EXPECT_TRUE(static_cast<bool>(db->put_device_route(d, {id})));
    EXPECT_TRUE(
        eventually([&] { return plane->with_owner(id, [](actors::connection_owner&) {}); }));
    std::this_thread::sleep_for(50ms);  // the route reaches the shard's replica by a post
    return made->key;
  }

  std::uint64_t counted(actors::downlink_outcome outcome) const {
    auto text = metrics.render();
    std::string series = std::string{"tunnel_router_downlinks_total{outcome=\""} +
                         std::string{actors::name_of(outcome)} + "\"} ";
    auto at = text.find(series);
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + series.size()));
  }
};

/// A downlink query for the test device, signed with `key` (the token made here with OpenSSL).
std::string signed_downlink(const std::string& as_id, const std::string& key,
                            const std::string& payload = "0102",
                            const std::string& dev_eui = device) {
  std::string query = "DevEUI=" + dev_eui + "&FPort=2&Payload=" + payload + "&AS_ID=" + as_id +
                      "&Time=" + wire_time();
  return query + "&Token=" + test::sha256_hex(test::percent_decoded(query) + key);
}

TEST_F(services, ingress_answers_paths_methods_and_bad_reports_and_counts_what_it_refuses) {
  ingress = std::make_unique<app::ingress_service>(*plane, metrics);
  listen(ingress->limits(1 << 20), [this](auto& o, auto& c, auto& r) { ingress->serve(o, c, r); });

  EXPECT_EQ(test::curl({url("/v1/reports")}).status, 405);
  EXPECT_EQ(test::curl({"-X", "POST", url("/v1/elsewhere")}).status, 404);
  // Another path is 404 with a small body too (not a report: not counted); a body over 4 KiB
  // is refused from its head without being read.
  EXPECT_EQ(test::curl({"-X", "POST", "-d", "{}", url("/v1/elsewhere")}).status, 404);
  auto over = dir.file("over.json");
  test::write_file(over, std::string(5000, 'x'));
  EXPECT_EQ(test::curl({"-X", "POST", "--data-binary", "@" + over, url("/v1/elsewhere")}).status,
            413);
  auto bad = test::curl(
      {"-X", "POST", "-H", "content-type: application/json", "-d", "not json", url("/v1/reports")});
  EXPECT_EQ(bad.status, 400) << bad.body;
  // A single report may carry 64 KiB; the batch path takes the listener's whole limit.
  std::string big(70 << 10, 'x');
  auto path = dir.file("big.json");
  test::write_file(path, big);
  EXPECT_EQ(test::curl({"-X", "POST", "--data-binary", "@" + path, url("/v1/reports")}).status,
            413);
  auto text = metrics.render();
  EXPECT_NE(text.find("tunnel_router_reports_total{outcome=\"malformed\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("tunnel_router_reports_total{outcome=\"too_large\"} 2"), std::string::npos)
      << text;
}

TEST_F(services, downlink_service_refuses_bad_downlinks_and_answers_503_without_an_ns) {
  auto key = connect("app1.sample.com");
  make_downlink_service({});
  const auto path = std::string{"/thingpark/lrc/rest/downlink?"};

  EXPECT_EQ(test::curl({"-X", "POST", url("/elsewhere")}).status, 404);
  EXPECT_EQ(test::curl({url(path + signed_downlink("app1.sample.com", key))}).status, 405);
  auto malformed = test::curl({"-X", "POST", url(path + "DevEUI=12")});
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.body.rfind("malformed", 0), 0u) << malformed.body;
  EXPECT_EQ(test::curl({"-X", "POST", url(path + signed_downlink("other.as", key))}).status, 403);
  EXPECT_EQ(test::curl({"-X", "POST",
                        url(path + signed_downlink("app1.sample.com", std::string(32, '0')))})
                .status,
            401);

  // Verified, but there is no NS to take it: 503, and the token is given back (the same
  // request is not a replay).
  auto query = signed_downlink("app1.sample.com", key);
  auto first = test::curl({"-X", "POST", url(path + query)});
  EXPECT_EQ(first.status, 503);
  EXPECT_EQ(first.body, "no NS downlink URL configured");
  EXPECT_EQ(test::curl({"-X", "POST", url(path + query)}).status, 503);
  EXPECT_EQ(counted(actors::downlink_outcome::ns_unconfigured), 2u);
  EXPECT_EQ(counted(actors::downlink_outcome::malformed), 1u);
  EXPECT_EQ(counted(actors::downlink_outcome::unknown_as_id), 1u);
  EXPECT_EQ(counted(actors::downlink_outcome::bad_token), 1u);
}

TEST_F(services, downlink_service_delivers_the_downlink_json_to_the_ns_then_refuses_a_replay) {
  auto key = connect("app1.sample.com");
  test::test_as ns{"", ""};  // plain HTTP: HTTP/1.1 toward the NS
  app::downlink_service::options options;
  app::ns_target target;
  ASSERT_EQ(app::parse_ns_target(
                "http://127.0.0.1:" + std::to_string(ns.port()) + "/ns/downlink?tenant=1", target),
            "");
  options.ns = target;
  make_downlink_service(options);

  auto query = signed_downlink("app1.sample.com", key, "C0FFEE");
  auto url_of = url("/thingpark/lrc/rest/downlink?" + query);
  auto accepted = test::curl({"-X", "POST", url_of});
  EXPECT_EQ(accepted.status, 200);
  EXPECT_EQ(accepted.body, "<html><body>Request queued by LRC</body></html>");
  ASSERT_TRUE(ns.wait_for(1));
  auto got = ns.requests().at(0);
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.path, "/ns/downlink");
  EXPECT_EQ(got.query, "tenant=1");
  EXPECT_EQ(got.header("content-type"), "application/json");
  // The NS gets what downlink_json makes of the verdict, field by field.
  auto id = test::json_field(got.body, "connection");
  EXPECT_EQ(id.size(), 16u) << got.body;
  EXPECT_NE(got.body.find(R"("asId":"app1.sample.com","DevEUI":"000000000F1D8693","FPort":2,)"
                          R"("Payload":"C0FFEE","Time":")"),
            std::string::npos)
      << got.body;

  EXPECT_EQ(test::curl({"-X", "POST", url_of}).status, 409);
  EXPECT_EQ(counted(actors::downlink_outcome::accepted), 1u);
  EXPECT_EQ(counted(actors::downlink_outcome::replay), 1u);
}

TEST_F(services, downlink_service_spreads_devices_over_ns_sessions_and_keeps_each_devices_order) {
  auto key = connect("app1.sample.com", {device, neighbour});
  test::test_as ns{"", ""};  // plain HTTP/1.1: a session carries one downlink at a time
  ns.set_hang(true);
  app::downlink_service::options options;
  app::ns_target target;
  ASSERT_EQ(app::parse_ns_target("http://127.0.0.1:" + std::to_string(ns.port()) + "/ns", target),
            "");
  options.ns = target;
  options.ns_timeout = 5s;
  make_downlink_service(options);

  // Two downlinks of one device and one of another, at once, to an NS that never answers.
  auto post = [&](const std::string& payload, const std::string& dev_eui) {
    return std::async(
        std::launch::async, [this, payload, dev_eui,
                             query = signed_downlink("app1.sample.com", key, payload, dev_eui)] {
          return test::curl({"-X", "POST", url("/thingpark/lrc/rest/downlink?" + query)});
        });
  };
  auto first = post("01", device);
  auto second = post("02", device);
  auto other = post("03", neighbour);
  // The other device's downlink does not wait behind the first device's; the first device's
  // second downlink does (its session is busy until the NS answers or the time-out).
  ASSERT_TRUE(ns.wait_for(2));
  std::this_thread::sleep_for(500ms);
  auto got = ns.requests();
  ASSERT_EQ(got.size(), 2u);
  bool both = (got[0].body.find(device) != std::string::npos &&
               got[1].body.find(neighbour) != std::string::npos) ||
              (got[1].body.find(device) != std::string::npos &&
               got[0].body.find(neighbour) != std::string::npos);
  EXPECT_TRUE(both) << got[0].body << "\n" << got[1].body;
  // Unanswered: 503 each, the tokens stay spent (the NS may have queued them).
  EXPECT_EQ(first.get().status, 503);
  EXPECT_EQ(second.get().status, 503);
  EXPECT_EQ(other.get().status, 503);
}

TEST_F(services, downlink_json_carries_the_optional_fields_only_when_sent) {
  actors::downlink_verdict verdict;
  auto connection = std::make_shared<actors::connection_config>();
  connection->id = "0123456789abcdef";
  verdict.connection = connection;
  auto& f = verdict.fields;
  f.as_id = "as\"1";
  f.dev_eui = "000000000F1D8693";
  f.fport = "2";
  f.payload = "00";
  f.time = "2026-01-01T12:00:00.000+00:00";
  EXPECT_EQ(app::downlink_json(verdict),
            R"({"connection":"0123456789abcdef","asId":"as\"1","DevEUI":"000000000F1D8693",)"
            R"("FPort":2,"Payload":"00","Time":"2026-01-01T12:00:00.000+00:00"})");
  f.fcnt_dn = "7";
  f.confirmed = "1";
  f.flush_queue = "0";
  f.validity_time = "60";
  f.correlation_id = "00000000000000AB";
  EXPECT_EQ(app::downlink_json(verdict),
            R"({"connection":"0123456789abcdef","asId":"as\"1","DevEUI":"000000000F1D8693",)"
            R"("FPort":2,"Payload":"00","FCntDn":7,"Confirmed":true,"FlushDownlinkQueue":false,)"
            R"("ValidityTime":"60","CorrelationID":"00000000000000AB",)"
            R"("Time":"2026-01-01T12:00:00.000+00:00"})");
}

TEST_F(services, admin_service_answers_health_readiness_metrics_and_the_api_through_its_worker) {
  auto bootstrap = db->bootstrap_admin("");
  ASSERT_TRUE(bootstrap && *bootstrap);
  auto token = **bootstrap;
  app::admin_service::options options;
  admin = std::make_unique<app::admin_service>(*db, metrics, rt, options);
  auto other = std::make_shared<transport::listener_counters>();
  other->refused = 3;
  admin->show_listener("ingress", other);
  admin->show_listener("admin", admin->counters());
  admin->start_worker(*system);
  transport::http_listener_options listener;
  listener.limits = admin->limits();
  listener.counters = admin->counters();
  auto bound = transport::listen_http(rt, listener,
                                      [&](auto& o, auto& c, auto& r) { admin->serve(o, c, r); });
  ASSERT_TRUE(static_cast<bool>(bound));
  port = bound.port;

  EXPECT_EQ(test::curl({url("/healthz")}).body, "ok\n");
  EXPECT_EQ(test::curl({url("/readyz")}).status, 503);
  admin->set_ready(true);
  EXPECT_EQ(test::curl({url("/readyz")}).status, 200);
  EXPECT_EQ(test::curl({"-X", "POST", url("/healthz")}).status, 405);

  auto metrics_text = test::curl({url("/metrics")});
  EXPECT_EQ(metrics_text.status, 200);
  auto ingress_line =
      metrics_text.body.find("tunnel_router_listener_refused_total{listener=\"ingress\"} 3");
  auto admin_line =
      metrics_text.body.find("tunnel_router_listener_connections{listener=\"admin\"} 1");
  EXPECT_NE(ingress_line, std::string::npos) << metrics_text.body;
  EXPECT_NE(admin_line, std::string::npos) << metrics_text.body;

  // The API runs on the worker: without a token 401 (and counted), with the token 200.
  EXPECT_EQ(test::curl({url("/api/v1/connections")}).status, 401);
  EXPECT_EQ(test::curl({"-H", "Authorization: Bearer wrong", url("/api/v1/connections")}).status,
            401);
  EXPECT_EQ(test::curl({"-H", "Authorization: Bearer " + token, url("/api/v1/connections")}).status,
            200);
  EXPECT_NE(admin->render_metrics().find("tunnel_router_admin_auth_failures_total 1"),
            std::string::npos);
  // A body over the unauthenticated limit is refused before it is read.
  std::string big(8 << 10, 'x');
  EXPECT_EQ(test::curl({"-X", "POST", "-H", "Authorization: Bearer wrong", "-d", big,
                        url("/api/v1/connections")})
                .status,
            413);
}

}  // namespace
