// The health endpoints' own rules (the figures themselves are tested through the router
// process in tests/app/serve_health_test.cpp): the connection's visibility decides, and without
// a running data plane they answer 503.
#include "tests/api/admin_api_fixture.hpp"

namespace tr::api::testing {
namespace {

using admin_health = admin_api_test;

TEST_F(admin_health, status_follows_the_connections_visibility) {
  auto own_b = create("b", in_b);
  auto shared = create("shared");
  EXPECT_EQ(call("GET", "/api/v1/connections/" + own_b + "/status", {}, token_a_).status, 404);
  // Seen (read-only or in full) and no data plane in this process: 503, not 404.
  EXPECT_EQ(call("GET", "/api/v1/connections/" + shared + "/status", {}, token_a_).status, 503);
  EXPECT_EQ(call("GET", "/api/v1/connections/" + own_b + "/status", {}, token_b_).status, 503);
  EXPECT_EQ(call("GET", "/api/v1/connections/" + own_b + "/status", {}, "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/connections/ffffffffffffffff/status").status, 404);
}

TEST_F(admin_health, a_test_uplink_needs_the_right_to_change_the_connection) {
  auto own_b = create("b", in_b);
  auto shared = create("shared");
  EXPECT_EQ(call("POST", "/api/v1/connections/" + own_b + "/test", {}, token_a_).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/connections/" + shared + "/test", {}, token_a_).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/connections/" + own_b + "/test", {}, token_b_).status, 503);
  EXPECT_EQ(call("GET", "/api/v1/connections/" + own_b + "/test").status, 405);
}

TEST_F(admin_health, paused_is_a_stored_flag_of_the_form) {
  auto id = create("c");
  auto paused = call("PATCH", "/api/v1/connections/" + id, R"({"paused": true})");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_NE(call("GET", "/api/v1/connections/" + id).body.find(R"("paused":true)"),
            std::string::npos);
  auto bad = call("PATCH", "/api/v1/connections/" + id, R"({"paused": "yes"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("field":"paused")"), std::string::npos) << bad.body;
  EXPECT_EQ(call("PATCH", "/api/v1/connections/" + id, R"({"name": "renamed"})")
                .body.find(R"("paused":true)") != std::string::npos,
            true)
      << "a PATCH without the flag keeps it";
  // A whole form saved without the flag (by someone who did not see the pause) keeps it too.
  auto replaced = call("PUT", "/api/v1/connections/" + id, connection_body("replaced", "[]"));
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_NE(replaced.body.find(R"("paused":true)"), std::string::npos) << replaced.body;
  auto resumed = call("PUT", "/api/v1/connections/" + id,
                      R"({"name":"resumed","url":"https://as.example.com/up","contentType":"JSON",)"
                      R"("asId":"resumed.as","paused":false})");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_NE(resumed.body.find(R"("paused":false)"), std::string::npos) << resumed.body;
}

}  // namespace
}  // namespace tr::api::testing
