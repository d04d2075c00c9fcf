#include <gtest/gtest.h>

#include "api/domains.hpp"

namespace tr::api {
namespace {

store::user admin() {
  store::user out;
  out.name = "admin";
  out.is_admin = true;
  return out;
}

store::user unrestricted() {
  store::user out;
  out.name = "operator";
  return out;
}

store::user restricted(std::vector<std::string> domains) {
  store::user out;
  out.name = "tenant";
  out.domains = std::move(domains);
  return out;
}

store::connection connection_in(std::vector<std::string> domains) {
  store::connection out;
  out.id = "0123456789abcdef";
  out.name = "AS";
  out.domains = std::move(domains);
  out.url = "https://u:p@as.example.com/";
  out.headers = {{"Authorization", "Bearer x"}};
  out.additional_info = "notes";
  out.key = "46ab678cd45df4a4e4b375eacd096acc";
  return out;
}

std::vector<std::string> fields_of(const std::vector<field_error>& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors) out.push_back(error.field);
  return out;
}

struct visibility_case {
  store::user user;
  std::vector<std::string> connection_domains;
  visibility expected;
};

TEST(domain_visibility, follows_the_matrix_of_users_and_connections) {
  const std::vector<visibility_case> cases = {
      {admin(), {}, visibility::full},
      {admin(), {"a.example.com"}, visibility::full},
      {unrestricted(), {}, visibility::full},
      {unrestricted(), {"a.example.com"}, visibility::full},
      {restricted({"a.example.com"}), {"a.example.com"}, visibility::full},
      {restricted({"a.example.com"}), {"b.example.com", "a.example.com"}, visibility::full},
      {restricted({"a.example.com"}), {}, visibility::read_only},
      {restricted({"a.example.com"}), {"b.example.com"}, visibility::hidden},
      {restricted({"a.example.com"}), {"x.a.example.com"}, visibility::hidden},
      {restricted({"x.a.example.com"}), {"a.example.com"}, visibility::hidden},
  };
  for (const auto& c : cases) {
    auto connection = connection_in(c.connection_domains);
    EXPECT_EQ(visibility_of(c.user, connection), c.expected)
        << c.user.name << " on " << ::testing::PrintToString(c.connection_domains);
    EXPECT_EQ(may_modify(c.user, connection), c.expected == visibility::full);
  }
}

TEST(domain_visibility, a_read_only_view_withholds_url_headers_info_and_key) {
  auto view = view_of(restricted({"a.example.com"}), connection_in({}));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->name, "AS");
  EXPECT_TRUE(view->url.empty());
  EXPECT_TRUE(view->headers.empty());
  EXPECT_TRUE(view->additional_info.empty());
  EXPECT_TRUE(view->key.empty());
}

TEST(domain_visibility, a_full_view_never_carries_the_key) {
  auto view = view_of(admin(), connection_in({"a.example.com"}));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->url, "https://u:p@as.example.com/");
  EXPECT_TRUE(view->key.empty());
  EXPECT_FALSE(view_of(restricted({"b.example.com"}), connection_in({"a.example.com"})));
}

TEST(domain_visibility, only_admins_manage_users) {
  EXPECT_TRUE(may_manage_users(admin()));
  EXPECT_FALSE(may_manage_users(unrestricted()));
  EXPECT_FALSE(may_manage_users(restricted({"a.example.com"})));
}

TEST(domain_assignment, a_restricted_user_assigns_only_its_own_domains_exactly) {
  auto user = restricted({"a.example.com", "b.example.com"});
  EXPECT_TRUE(check_domain_assignment(user, {"a.example.com"}).empty());
  EXPECT_TRUE(check_domain_assignment(user, {"a.example.com", "b.example.com"}).empty());
  EXPECT_EQ(fields_of(check_domain_assignment(user, {"a.example.com", "x.a.example.com"})),
            std::vector<std::string>{"domains[1]"});
  EXPECT_EQ(fields_of(check_domain_assignment(user, {"a.example.co"})),
            (std::vector<std::string>{"domains[0]", "domains"}));
}

TEST(domain_assignment, a_restricted_user_must_assign_at_least_one_domain) {
  EXPECT_EQ(fields_of(check_domain_assignment(restricted({"a.example.com"}), {})),
            std::vector<std::string>{"domains"});
}

TEST(domain_assignment, admins_and_unrestricted_users_assign_anything_or_nothing) {
  for (const auto& user : {admin(), unrestricted()}) {
    EXPECT_TRUE(check_domain_assignment(user, {}).empty());
    EXPECT_TRUE(check_domain_assignment(user, {"z.example.org"}).empty());
  }
}

TEST(domain_assignment, domains_of_other_users_stay_on_a_shared_connection) {
  auto user = restricted({"a.example.com"});
  std::vector<std::string> previous{"a.example.com", "b.example.com"};
  EXPECT_TRUE(check_domain_assignment(user, previous, previous).empty());
  EXPECT_TRUE(check_domain_assignment(user, {"b.example.com", "a.example.com"}, previous).empty());
  EXPECT_EQ(fields_of(check_domain_assignment(user, {"a.example.com"}, previous)),
            std::vector<std::string>{"domains"});
  EXPECT_EQ(fields_of(check_domain_assignment(user, {"b.example.com"}, previous)),
            std::vector<std::string>{"domains"});
}

}  // namespace
}  // namespace tr::api
