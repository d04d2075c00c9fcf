// The domain matrix: the admin, user A (a.example) and user B (b.example) over connections of
// domain a.example, of domain b.example, of both, and cross-domain (no domains).

#include "tests/api/admin_api_fixture.hpp"

namespace tr::api::testing {
namespace {

class admin_domains : public admin_api_test {
 protected:
  void SetUp() override {
    admin_api_test::SetUp();
    of_a_ = create("of A", R"(["a.example"])");
    of_b_ = create("of B", R"(["b.example"])");
    of_both_ = create("of both", R"(["a.example", "b.example"])");
    cross_ = create("cross-domain", "[]");
  }

  static std::string path(const std::string& id) { return "/api/v1/connections/" + id; }

  static std::vector<std::string> sorted(std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::string of_a_, of_b_, of_both_, cross_;
};

TEST_F(admin_domains, the_admin_sees_every_connection_in_full) {
  auto list = call("GET", "/api/v1/connections");
  EXPECT_EQ(listed_ids(list), sorted({of_a_, of_b_, of_both_, cross_}));
  EXPECT_EQ(text(call("GET", path(cross_)), "url"), "https://as.example.com/uplink");
}

TEST_F(admin_domains, a_restricted_user_lists_its_domains_and_cross_domain_connections) {
  EXPECT_EQ(listed_ids(call("GET", "/api/v1/connections", "", token_a_)),
            sorted({of_a_, of_both_, cross_}));
  EXPECT_EQ(listed_ids(call("GET", "/api/v1/connections", "", token_b_)),
            sorted({of_b_, of_both_, cross_}));
}

TEST_F(admin_domains, a_restricted_user_sees_a_cross_domain_connection_without_secrets) {
  auto seen = call("GET", path(cross_), "", token_a_);
  ASSERT_EQ(seen.status, 200);
  EXPECT_EQ(text(seen, "name"), "cross-domain");
  EXPECT_EQ(text(seen, "asId"), as_id_for("cross-domain"));
  for (auto withheld : {"url", "headers", "additionalInfo", "key"})
    EXPECT_FALSE(has(seen, withheld)) << withheld;
  auto list = call("GET", "/api/v1/connections", "", token_a_);
  std::size_t withheld_in_list = 0;
  for (auto one : json(list)["connections"].get_array()) {
    bool is_cross = std::string_view{one["id"].get_string()} == cross_;
    EXPECT_EQ(one["url"].error() == simdjson::NO_SUCH_FIELD, is_cross);
    EXPECT_EQ(one["additionalInfo"].error() == simdjson::NO_SUCH_FIELD, is_cross);
    withheld_in_list += is_cross;
  }
  EXPECT_EQ(withheld_in_list, 1u);
}

TEST_F(admin_domains, a_restricted_user_sees_connections_of_its_domain_in_full) {
  auto seen = call("GET", path(of_both_), "", token_b_);
  ASSERT_EQ(seen.status, 200);
  EXPECT_EQ(text(seen, "url"), "https://as.example.com/uplink");
  EXPECT_EQ(text(seen, "additionalInfo"), "secret info");
  EXPECT_FALSE(has(seen, "key"));
}

TEST_F(admin_domains, another_domains_connection_does_not_exist_for_a_restricted_user) {
  EXPECT_EQ(call("GET", path(of_b_), "", token_a_).status, 404);
  EXPECT_EQ(call("PATCH", path(of_b_), R"({"name": "x"})", token_a_).status, 404);
  EXPECT_EQ(call("PUT", path(of_b_), connection_body("x", R"(["a.example"])"), token_a_).status,
            404);
  EXPECT_EQ(call("DELETE", path(of_b_), "", token_a_).status, 404);
  EXPECT_EQ(call("POST", path(of_b_) + "/key", "", token_a_).status, 404);
  EXPECT_EQ(db_->get_connection(of_b_)->name, "of B");
}

TEST_F(admin_domains, a_restricted_user_may_not_change_a_cross_domain_connection) {
  auto before = *db_->get_connection(cross_);
  EXPECT_EQ(call("PATCH", path(cross_), R"({"name": "x"})", token_a_).status, 403);
  EXPECT_EQ(call("PUT", path(cross_), connection_body("x", R"(["a.example"])"), token_a_).status,
            403);
  EXPECT_EQ(call("DELETE", path(cross_), "", token_a_).status, 403);
  EXPECT_EQ(call("POST", path(cross_) + "/key", "", token_a_).status, 403);
  EXPECT_EQ(*db_->get_connection(cross_), before);
}

TEST_F(admin_domains, a_restricted_user_edits_rekeys_and_deletes_its_domains_connections) {
  EXPECT_EQ(call("PATCH", path(of_a_), R"({"name": "renamed"})", token_a_).status, 200);
  EXPECT_EQ(db_->get_connection(of_a_)->name, "renamed");
  EXPECT_EQ(call("POST", path(of_both_) + "/key", "", token_b_).status, 200);
  EXPECT_EQ(call("DELETE", path(of_a_), "", token_a_).status, 204);
  EXPECT_EQ(stored_connections(), 3u);
}

TEST_F(admin_domains, a_restricted_user_creates_connections_in_its_domain) {
  auto made =
      call("POST", "/api/v1/connections", connection_body("new", R"(["A.Example"])"), token_a_);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(db_->get_connection(text(made, "id"))->domains, std::vector<std::string>{"a.example"});
}

TEST_F(admin_domains, a_restricted_user_must_assign_one_of_its_domains) {
  auto refused = call("POST", "/api/v1/connections", connection_body("new", "[]"), token_a_);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"domains"});
  EXPECT_EQ(stored_connections(), 4u);
}

TEST_F(admin_domains, a_restricted_user_cannot_assign_a_foreign_domain) {
  auto refused = call("POST", "/api/v1/connections",
                      connection_body("new", R"(["a.example", "b.example"])"), token_a_);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"domains[1]"});
  auto moved = call("PATCH", path(of_a_), R"({"domains": ["b.example"]})", token_a_);
  EXPECT_EQ(moved.status, 400);
  EXPECT_EQ(db_->get_connection(of_a_)->domains, std::vector<std::string>{"a.example"});
  EXPECT_EQ(stored_connections(), 4u);
}

TEST_F(admin_domains, a_restricted_user_keeps_the_other_domains_of_a_shared_connection) {
  EXPECT_EQ(call("PATCH", path(of_both_), R"({"name": "still shared"})", token_a_).status, 200);
  auto refused = call("PATCH", path(of_both_), R"({"domains": ["a.example"]})", token_a_);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"domains"});
  EXPECT_EQ(db_->get_connection(of_both_)->domains,
            (std::vector<std::string>{"a.example", "b.example"}));
}

TEST_F(admin_domains, the_admin_assigns_any_domain_or_none) {
  EXPECT_EQ(call("PATCH", path(of_a_), R"({"domains": ["c.example"]})").status, 200);
  EXPECT_EQ(call("PATCH", path(of_b_), R"({"domains": []})").status, 200);
  EXPECT_EQ(db_->get_connection(of_b_)->domains, std::vector<std::string>{});
}

TEST_F(admin_domains, a_user_without_domains_sees_and_changes_everything) {
  auto plain = db_->create_user("operator", {}, false);
  ASSERT_TRUE(plain);
  EXPECT_EQ(listed_ids(call("GET", "/api/v1/connections", "", plain->token)),
            sorted({of_a_, of_b_, of_both_, cross_}));
  EXPECT_EQ(call("PATCH", path(of_b_), R"({"name": "x"})", plain->token).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/connections", connection_body("y"), plain->token).status, 201);
}

}  // namespace
}  // namespace tr::api::testing
