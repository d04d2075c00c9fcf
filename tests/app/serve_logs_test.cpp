// The router's log lines as an operator reads them: the real binary, a real HTTPS application
// server, the lines taken from the router's stderr.
#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/app/router_process.hpp"
#include "tests/app/test_as.hpp"
#include "tests/support/test_pki.hpp"

using namespace tr::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* uplink_json =
    R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":17,"FCntUp":18,)"
    R"("payload_hex":"00","CustomerID":"1"}})";

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> found;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) found.push_back(line);
  return found;
}

struct serve_logs : ::testing::Test {
  temp_dir certs;
  test_pki pki = make_test_pki(certs.path());
  std::unique_ptr<router_process> router;

  void start_router() {
    router = std::make_unique<router_process>("[as]\nca_file = " + pki.ca_file +
                                              "\nrequest_timeout_ms = 1500\n");
  }

  std::string connect(std::uint16_t port) {
    auto made =
        router->admin("POST", "/api/v1/connections",
                      R"({"name":"AS one","url":"https://localhost:)" + std::to_string(port) +
                          R"(/up","contentType":"JSON","asId":"as.one"})");
    EXPECT_EQ(made.status, 201) << made.body;
    auto id = json_field(made.body, "id");
    EXPECT_EQ(router
                  ->admin("PUT", "/api/v1/devices/20635F0108000496",
                          R"({"connections":[")" + id + R"("]})")
                  .status,
              200);
    return id;
  }

  std::string failed(const std::string& id) {
    return "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"failed\"}";
  }
};

TEST_F(serve_logs, a_refused_connection_is_one_line_naming_it_and_the_reason) {
  start_router();
  std::uint16_t closed_port;
  {
    test_as gone{pki.cert_file, pki.key_file};
    closed_port = gone.port();
  }
  auto id = connect(closed_port);
  for (int i = 0; i < 6; ++i) {
    router->report(uplink_json);
    std::this_thread::sleep_for(30ms);
  }
  ASSERT_TRUE(router->wait_metric(failed(id), 3));
  auto lines = lines_with(router->process().errors(), "connection failing");
  ASSERT_EQ(lines.size(), 1u) << router->process().errors();
  EXPECT_NE(
      lines[0].find("tunnel-router: warning: connection failing connection=\"AS one\" id=" + id),
      std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("Connection refused"), std::string::npos) << lines[0];
}

TEST_F(serve_logs, an_http_error_status_is_named_and_the_recovery_noted) {
  test_as as{pki.cert_file, pki.key_file};
  as.set_status(503);
  start_router();
  auto id = connect(as.port());
  router->report(uplink_json);
  ASSERT_TRUE(router->wait_metric(failed(id), 1));
  as.set_status(200);
  // The fuse may hold reports back for a while after a failure: send until one is delivered.
  auto delivered = "tunnel_router_uplinks_total{connection=\"" + id + "\",outcome=\"delivered\"}";
  for (int i = 0; i < 100 && router->metric(delivered) < 1; ++i) {
    router->report(uplink_json);
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_GE(router->metric(delivered), 1);
  auto errors = router->process().errors();
  auto failing = lines_with(errors, "connection failing");
  ASSERT_EQ(failing.size(), 1u) << errors;
  EXPECT_NE(failing[0].find("reason=\"HTTP status 503\""), std::string::npos) << failing[0];
  auto again = lines_with(errors, "connection delivering again");
  ASSERT_EQ(again.size(), 1u) << errors;
  EXPECT_NE(again[0].find("connection=\"AS one\""), std::string::npos) << again[0];
}

TEST_F(serve_logs, the_fuse_opening_is_one_warning_line_naming_the_connection_and_the_reason) {
  start_router();
  std::uint16_t closed_port;
  {
    test_as gone{pki.cert_file, pki.key_file};
    closed_port = gone.port();
  }
  auto id = connect(closed_port);
  auto opened = "tunnel_router_fuse_transitions_total{connection=\"" + id + "\",to=\"open\"}";
  for (int i = 0; i < 100 && router->metric(opened) < 1; ++i) {
    router->report(uplink_json);
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_GE(router->metric(opened), 1);
  auto errors = router->process().errors();
  auto lines = lines_with(errors, "to=open");
  ASSERT_GE(lines.size(), 1u) << errors;
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex{"tunnel-router: warning: fuse transition connection=" + id +
                           " from=(closed|throttling) to=open reason=.+"}))
      << lines[0];
}

TEST(serve_logs_json, every_line_is_a_json_object_from_start_to_stop) {
  temp_dir dir;
  write_file(dir.file("router.ini"), "[store]\npath = " + dir.file("router.db") +
                                         "\n[ingress]\nlisten = 127.0.0.1:0\n[public]\n"
                                         "listen = 127.0.0.1:0\n[admin]\nlisten = 127.0.0.1:0\n"
                                         "[log]\nformat = json\n");
  child_process router{{TR_BINARY, "serve", "--config", dir.file("router.ini")}};
  std::smatch admin;
  std::regex listening{R"re("msg":"listening".*"admin":"127\.0\.0\.1:([0-9]+)")re"};
  for (int i = 0; i < 1000; ++i) {
    auto errors = router.errors();
    if (std::regex_search(errors, admin, listening)) break;
    ASSERT_TRUE(router.running()) << errors;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(admin.empty()) << router.errors();
  EXPECT_EQ(curl({"http://127.0.0.1:" + admin[1].str() + "/readyz"}).status, 200);
  // A warning of the admin guard's, formatted like every other line.
  EXPECT_EQ(curl({"-H", "Authorization: Bearer wrong-token",
                  "http://127.0.0.1:" + admin[1].str() + "/api/v1/connections"})
                .status,
            401);
  // SIGHUP (a reload by habit) is logged and ignored: the router keeps serving.
  router.signal(SIGHUP);
  for (int i = 0; i < 100 && router.errors().find("signal ignored") == std::string::npos; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(router.running());
  EXPECT_EQ(curl({"http://127.0.0.1:" + admin[1].str() + "/readyz"}).status, 200);
  router.signal(SIGTERM);
  ASSERT_EQ(router.wait(), 0);
  auto errors = router.errors();
  EXPECT_EQ(router.output(), "");
  EXPECT_EQ(lines_with(errors, R"("msg":"signal ignored)").size(), 1u) << errors;
  // The generated admin token stays in its file (0600), out of the collected log lines.
  auto token = read_file(dir.file("admin.token"));
  ASSERT_GE(token.size(), 32u);
  EXPECT_EQ(errors.find(token.substr(0, 32)), std::string::npos) << errors;
  std::regex object{R"re(^\{"time":"[0-9T:.-]+Z","level":"[a-z]+","msg":"[^"]+".*\}$)re"};
  std::istringstream in{errors};
  int count = 0;
  for (std::string line; std::getline(in, line); ++count)
    EXPECT_TRUE(std::regex_match(line, object)) << line;
  EXPECT_GE(count,
            4);  // the admin token, listening, draining, stopped (and the plain-HTTP warning)
  EXPECT_EQ(lines_with(errors, R"x("msg":"admin token generated: read it in the file")x").size(),
            1u)
      << errors;
  EXPECT_EQ(lines_with(errors, R"("msg":"draining","signal":"SIGTERM")").size(), 1u) << errors;
  EXPECT_EQ(lines_with(errors, R"("msg":"stopped")").size(), 1u) << errors;
  EXPECT_EQ(lines_with(errors, R"("msg":"admin: failed bearer token","peer":"127.0.0.1)").size(),
            1u)
      << errors;
}

TEST(serve_logs_json, a_bad_log_setting_is_refused_naming_the_key) {
  temp_dir dir;
  write_file(dir.file("router.ini"), "[log]\nformat = yaml\n");
  child_process router{{TR_BINARY, "serve", "--config", dir.file("router.ini")}};
  ASSERT_EQ(router.wait(), 2);
  EXPECT_NE(router.errors().find("log.format"), std::string::npos) << router.errors();
}

}  // namespace
