#include "tests/store/store_fixture.hpp"

namespace tr::store::testing {
namespace {

using users = backend_test;
using sqlite_users = store_test;

TEST_P(users, a_new_user_gets_a_token_that_finds_it_again) {
  auto made = db().create_user("tenant a", role::viewer, {{"Region", "EMEA/France"}});
  ASSERT_TRUE(made) << made.error_value().message;
  EXPECT_EQ(made->token.size(), 64u);
  auto found = db().find_user_by_token(made->token);
  ASSERT_TRUE(found) << found.error_value().message;
  EXPECT_EQ(*found, made->user);
  EXPECT_EQ(found->domains, (std::vector<domain_ref>{{"Region", "EMEA/France"}}));
  EXPECT_EQ(found->role, role::viewer);
}

TEST_F(sqlite_users, only_the_hash_of_a_token_is_stored) {
  auto made = db().create_user("tenant a", role::connections_manager, {});
  ASSERT_TRUE(made);
  EXPECT_NE(made->user.token_hash, made->token);
  db_.reset();
  EXPECT_EQ(file_bytes(db_path()).find(made->token), std::string::npos);
  EXPECT_EQ(file_bytes(db_path().string() + "-wal").find(made->token), std::string::npos);
}

TEST_P(users, an_unknown_or_empty_token_finds_nobody) {
  auto made = db().create_user("tenant a", role::connections_manager, {});
  ASSERT_TRUE(made);
  auto altered = made->token;
  altered[0] = altered[0] == '0' ? '1' : '0';
  EXPECT_EQ(db().find_user_by_token(altered).error_value().code, error_code::not_found);
  EXPECT_EQ(db().find_user_by_token("").error_value().code, error_code::not_found);
}

TEST_P(users, lists_and_deletes_users) {
  auto a = db().create_user("a", role::connections_manager, {});
  auto b = db().create_user("b", role::viewer, {{"Region", "EMEA"}, {"Customer", "Acme"}});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(db().list_users()->size(), 2u);
  ASSERT_TRUE(db().delete_user(a->user.id));
  EXPECT_EQ(db().list_users()->size(), 1u);
  EXPECT_EQ(db().find_user_by_token(a->token).error_value().code, error_code::not_found);
  EXPECT_EQ(db().delete_user(a->user.id).error_value().code, error_code::not_found);
}

TEST_P(users, the_bootstrap_admin_token_is_generated_once_at_first_start) {
  auto first = db().bootstrap_admin("");
  ASSERT_TRUE(first) << first.error_value().message;
  ASSERT_TRUE(first->has_value());
  auto admin = db().find_user_by_token(**first);
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->role, role::admin);
  reopen();
  auto second = db().bootstrap_admin("");
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->has_value());
  EXPECT_TRUE(db().find_user_by_token(**first));
}

TEST_P(users, a_configured_admin_token_replaces_the_admin_token) {
  auto generated = db().bootstrap_admin("");
  ASSERT_TRUE(generated && generated->has_value());
  auto configured = db().bootstrap_admin("operator-chosen-token-0123456789");
  ASSERT_TRUE(configured);
  EXPECT_FALSE(configured->has_value());
  auto admin = db().find_user_by_token("operator-chosen-token-0123456789");
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->role, role::admin);
  EXPECT_FALSE(db().find_user_by_token(**generated));
  EXPECT_EQ(db().list_users()->size(), 1u);
}

TEST_P(users, a_user_restricted_to_an_undefined_domain_is_refused) {
  auto made = db().create_user("x", role::viewer, {{"Region", "EMEA/Fra"}});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error_value().code, error_code::invalid_argument);
  EXPECT_TRUE(db().list_users()->empty());
}

INSTANTIATE_STORE_BACKENDS(users);

}  // namespace
}  // namespace tr::store::testing
