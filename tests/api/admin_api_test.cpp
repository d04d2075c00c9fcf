// Routing, authentication and the web console.

#include "tests/api/admin_api_fixture.hpp"

namespace tr::api::testing {
namespace {

using admin_routing = admin_api_test;

TEST_F(admin_routing, a_request_without_a_token_is_401_with_a_bearer_challenge) {
  auto refused = call("GET", "/api/v1/connections", "", "");
  EXPECT_EQ(refused.status, 401);
  EXPECT_TRUE(has(refused, "error"));
  EXPECT_EQ(header(refused, "WWW-Authenticate").rfind("Bearer", 0), 0u);
}

TEST_F(admin_routing, an_unknown_token_is_401_and_stores_nothing) {
  auto refused = call("POST", "/api/v1/connections", connection_body("AS"), "not-a-token");
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(header(refused, "WWW-Authenticate").find("invalid_token"), std::string::npos);
  EXPECT_EQ(stored_connections(), 0u);
}

TEST_F(admin_routing, a_token_under_another_scheme_is_401) {
  auto refused =
      api_->handle({"GET", "/api/v1/connections", "", "Basic " + std::string{admin_token}, ""});
  EXPECT_EQ(refused.status, 401);
}

TEST_F(admin_routing, the_bearer_scheme_is_case_insensitive) {
  auto answer = api_->handle(
      {"GET", "/api/v1/connections", "", "bearer  " + std::string{admin_token} + " ", ""});
  EXPECT_EQ(answer.status, 200) << answer.body;
}

TEST_F(admin_routing, a_wrong_method_on_a_known_path_is_405_naming_the_allowed_ones) {
  auto refused = call("DELETE", "/api/v1/connections");
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(header(refused, "Allow"), "GET, POST");
  EXPECT_TRUE(has(refused, "error"));
  EXPECT_EQ(call("GET", "/api/v1/devices:import").status, 405);
  EXPECT_EQ(call("PATCH", "/api/v1/devices/0011223344556677").status, 405);
}

TEST_F(admin_routing, an_unknown_path_is_404_with_a_json_error) {
  for (auto path : {"/api/v1/widgets", "/api/v2/connections", "/api/v1/connections/x/y",
                    "/api/v1/connections//key", "/api/v1/devices", "/metrics", "/index.html"}) {
    auto refused = call("GET", path);
    EXPECT_EQ(refused.status, 404) << path;
    EXPECT_TRUE(has(refused, "error")) << path;
  }
}

TEST_F(admin_routing, the_console_loads_without_a_token_with_its_scripts_from_this_origin_only) {
  auto page = call("GET", "/", "", "");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type.rfind("text/html", 0), 0u);
  EXPECT_NE(page.body.find(R"(<script type="module" src="/console/app.js">)"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);
  EXPECT_EQ(page.body.find("http://"), std::string::npos);
  EXPECT_EQ(page.body.find("https://"), std::string::npos);
  auto policy = header(page, "Content-Security-Policy");
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(policy.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos);
  for (auto path : {"/console/app.js", "/console/style.css", "/console/form.js"}) {
    auto file = call("GET", path, "", "");
    EXPECT_EQ(file.status, 200) << path;
    EXPECT_FALSE(file.body.empty()) << path;
    EXPECT_EQ(header(file, "Content-Security-Policy"), policy) << path;
    EXPECT_EQ(header(file, "X-Content-Type-Options"), "nosniff") << path;
  }
  EXPECT_EQ(call("GET", "/console/app.js", "", "").content_type.rfind("text/javascript", 0), 0u);
  EXPECT_EQ(call("GET", "/console/style.css", "", "").content_type.rfind("text/css", 0), 0u);
}

TEST_F(admin_routing, an_unknown_console_file_is_404) {
  for (auto path : {"/console/", "/console/nothing.js", "/console/../admin.token", "/console"}) {
    auto refused = call("GET", path, "", "");
    EXPECT_EQ(refused.status, 404) << path;
  }
}

TEST_F(admin_routing, the_console_answers_only_get) {
  auto refused = call("POST", "/", "", "");
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(header(refused, "Allow"), "GET");
}

TEST_F(admin_routing, no_content_answers_have_no_content_type) {
  auto id = create("AS");
  auto gone = call("DELETE", "/api/v1/connections/" + id);
  EXPECT_EQ(gone.status, 204);
  EXPECT_TRUE(gone.content_type.empty());
}

}  // namespace
}  // namespace tr::api::testing
