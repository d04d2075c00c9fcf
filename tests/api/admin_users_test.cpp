#include "tests/api/admin_api_fixture.hpp"

namespace tr::api::testing {
namespace {

using admin_users = admin_api_test;

TEST_F(admin_users, an_admin_creates_a_user_whose_token_works) {
  auto made = call("POST", "/api/v1/users",
                   R"({"name": "tenant c", "role": "connections-manager", "domains": )" +
                       std::string{in_c} + "}");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(text(made, "name"), "tenant c");
  EXPECT_EQ(text(made, "role"), "connections-manager");
  EXPECT_FALSE(text(made, "id").empty());
  EXPECT_EQ(header(made, "Cache-Control"), "no-store");
  auto token = text(made, "token");
  ASSERT_EQ(token.size(), 64u);
  auto seen = call("GET", "/api/v1/connections", "", token);
  EXPECT_EQ(seen.status, 200);
  auto connection = call("POST", "/api/v1/connections", connection_body("C", in_c), token);
  EXPECT_EQ(connection.status, 201) << connection.body;
}

TEST_F(admin_users, a_user_made_without_a_role_is_a_connections_manager_restricted_to_its_domains) {
  auto made = call("POST", "/api/v1/users",
                   R"({"name": "tenant c", "domains": )" + std::string{in_c} + "}");
  auto found = db_->find_user_by_token(text(made, "token"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->role, store::role::connections_manager);
  EXPECT_EQ(found->domains, (std::vector<store::domain_ref>{{"Region", "Asia"}}));
  EXPECT_EQ(call("GET", "/api/v1/users", "", text(made, "token")).status, 403);
}

TEST_F(admin_users, a_user_who_is_not_an_admin_cannot_manage_users) {
  auto users_before = db_->list_users()->size();
  EXPECT_EQ(call("POST", "/api/v1/users", R"({"name": "x", "domains": )" + std::string{in_a} + "}",
                 token_a_)
                .status,
            403);
  EXPECT_EQ(call("GET", "/api/v1/users", "", token_a_).status, 403);
  auto a_id = db_->find_user_by_token(token_a_)->id;
  EXPECT_EQ(call("GET", "/api/v1/users/" + a_id, "", token_a_).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + a_id, "", token_b_).status, 403);
  EXPECT_EQ(db_->list_users()->size(), users_before);
}

TEST_F(admin_users, user_validation_lists_every_failing_field) {
  auto refused =
      call("POST", "/api/v1/users",
           R"({"name": "", "role": "boss", "domains": [{"group": "Region", "name": "EMEA/Fra"}, 3,)"
           R"( {"group": "", "name": "a//b"}], "x": 1})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused),
            (std::vector<std::string>{"domains[1]", "x", "name", "role", "domains[2].group",
                                      "domains[2].name", "domains[0].name"}));
  EXPECT_EQ(error_fields(call("POST", "/api/v1/users", "{")), std::vector<std::string>{"body"});
  EXPECT_EQ(db_->list_users()->size(), 3u);
}

TEST_F(admin_users, the_user_list_never_shows_tokens) {
  auto list = call("GET", "/api/v1/users");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json(list)["users"].get_array().size(), 3u);
  EXPECT_EQ(list.body.find("token"), std::string::npos);
  EXPECT_EQ(list.body.find(token_a_), std::string::npos);
  EXPECT_EQ(list.body.find(db_->find_user_by_token(token_a_)->token_hash), std::string::npos);
}

TEST_F(admin_users, an_admin_reads_one_user) {
  auto a = *db_->find_user_by_token(token_a_);
  auto one = call("GET", "/api/v1/users/" + a.id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(text(one, "name"), "tenant a");
  EXPECT_EQ(text(one, "role"), "connections-manager");
  EXPECT_EQ(one.body.find("\"admin\""), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/users/0123456789abcdef").status, 404);
}

TEST_F(admin_users, every_user_reads_who_it_is) {
  auto me = call("GET", "/api/v1/me", "", token_a_);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(text(me, "name"), "tenant a");
  EXPECT_EQ(text(me, "role"), "connections-manager");
  EXPECT_EQ(std::string_view{json(me)["domains"].at(0)["name"].get_string()}, "EMEA/France");
  EXPECT_EQ(text(call("GET", "/api/v1/me"), "role"), "admin");
  EXPECT_EQ(call("GET", "/api/v1/me", "", "not-a-token").status, 401);
}

TEST_F(admin_users, a_deleted_users_token_stops_working) {
  auto a_id = db_->find_user_by_token(token_a_)->id;
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + a_id).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/connections", "", token_a_).status, 401);
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + a_id).status, 404);
}

TEST_F(admin_users, an_admin_cannot_delete_itself) {
  auto admin_id = db_->find_user_by_token(admin_token)->id;
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + admin_id).status, 409);
  EXPECT_TRUE(db_->find_user_by_token(admin_token));
}

}  // namespace
}  // namespace tr::api::testing
