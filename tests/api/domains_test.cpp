// The restriction rules of api/domains.hpp, one test per rule, over the worked example: group
// Region (EMEA, EMEA/France, EMEA/France/Paris, EMEA/Germany, EMEA/Franceville) and group
// Customer (Acme).

#include <gtest/gtest.h>

#include "api/domains.hpp"

namespace tr::api {
namespace {

using store::domain_ref;

store::user with_role(store::role access, std::vector<domain_ref> domains = {}) {
  store::user out;
  out.name = "someone";
  out.role = access;
  out.domains = std::move(domains);
  return out;
}

store::user manager_of(std::vector<domain_ref> domains) {
  return with_role(store::role::connections_manager, std::move(domains));
}

const domain_ref emea{"Region", "EMEA"};
const domain_ref france{"Region", "EMEA/France"};
const domain_ref paris{"Region", "EMEA/France/Paris"};
const domain_ref germany{"Region", "EMEA/Germany"};
const domain_ref franceville{"Region", "EMEA/Franceville"};
const domain_ref acme{"Customer", "Acme"};

std::vector<store::domain> defined(bool emea_active = true) {
  return {{"Region", "EMEA", "", emea_active, {}},       {"Region", "EMEA/France", "", true, {}},
          {"Region", "EMEA/France/Paris", "", true, {}}, {"Region", "EMEA/Germany", "", true, {}},
          {"Region", "EMEA/Franceville", "", true, {}},  {"Customer", "Acme", "", true, {}}};
}

store::connection connection_in(std::vector<domain_ref> domains) {
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

std::vector<field_error> assign(const store::user& user, std::vector<domain_ref> requested,
                                std::vector<domain_ref> previous = {},
                                const std::vector<store::domain>& known = defined()) {
  return check_domain_assignment(user, requested, previous, known);
}

TEST(domain_coverage, a_domain_covers_itself_and_what_lies_below_it_in_its_group) {
  EXPECT_TRUE(covers(france, france));
  EXPECT_TRUE(covers(france, paris));
  EXPECT_TRUE(covers(emea, paris));
  EXPECT_FALSE(covers(france, emea));
  EXPECT_FALSE(covers(france, franceville));
  EXPECT_FALSE(covers(france, domain_ref{"Customer", "EMEA/France"}));
}

TEST(domain_visibility, a_restricted_user_sees_connections_at_or_below_its_domains) {
  auto user = manager_of({france});
  EXPECT_EQ(visibility_of(user, connection_in({france})), visibility::full);
  EXPECT_EQ(visibility_of(user, connection_in({paris})), visibility::full);
  EXPECT_EQ(visibility_of(user, connection_in({acme, paris})), visibility::full);
  EXPECT_EQ(visibility_of(user, connection_in({emea})), visibility::hidden);
  EXPECT_EQ(visibility_of(user, connection_in({germany})), visibility::hidden);
  EXPECT_EQ(visibility_of(user, connection_in({franceville})), visibility::hidden);
  EXPECT_EQ(visibility_of(user, connection_in({acme})), visibility::hidden);
}

TEST(domain_visibility,
     cross_domain_connections_are_read_only_without_secrets_for_restricted_users) {
  auto user = with_role(store::role::viewer, {france});
  EXPECT_EQ(visibility_of(user, connection_in({})), visibility::read_only);
  auto view = view_of(user, connection_in({}));
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->url.empty());
  EXPECT_TRUE(view->headers.empty());
  EXPECT_TRUE(view->additional_info.empty());
  EXPECT_TRUE(view->key.empty());
  EXPECT_FALSE(may_modify(manager_of({france}), connection_in({})));
}

TEST(domain_visibility, admins_and_unrestricted_users_see_every_connection_in_full) {
  for (auto role : {store::role::admin, store::role::connections_manager, store::role::viewer})
    for (const auto& domains : std::vector<std::vector<domain_ref>>{{}, {germany}, {acme}})
      EXPECT_EQ(visibility_of(with_role(role), connection_in(domains)), visibility::full);
}

TEST(domain_visibility, a_viewer_sees_no_credential_of_the_as) {
  auto connection = connection_in({france});
  connection.headers.push_back({"X-Tenant", "acme"});
  connection.headers.push_back({"X-Auth-Token", "t0k"});
  auto view = view_of(with_role(store::role::viewer), connection);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->url, "https://u:\u2022\u2022\u2022@as.example.com/");
  ASSERT_EQ(view->headers.size(), 3u);
  EXPECT_EQ(view->headers[0].value, "\u2022\u2022\u2022");  // Authorization
  EXPECT_EQ(view->headers[1].value, "acme");
  EXPECT_EQ(view->headers[2].value, "\u2022\u2022\u2022");
  EXPECT_EQ(view->additional_info, "notes");
  // A manager that sees it in full gets what it edits.
  auto full = view_of(manager_of({france}), connection);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->url, connection.url);
  EXPECT_EQ(full->headers[0].value, "Bearer x");

  EXPECT_EQ(masked_url("https://as.example.com/a@b"), "https://as.example.com/a@b");
  // A user name alone is the credential (sent as Basic authentication).
  EXPECT_EQ(masked_url("https://APIKEY@as.example.com/"),
            "https://\u2022\u2022\u2022@as.example.com/");
  EXPECT_EQ(masked_url("https://as.example.com/up?to%6Ben=t&pwd=p&x=1"),
            "https://as.example.com/up?to%6Ben=\u2022\u2022\u2022&pwd=\u2022\u2022\u2022&x=1");
  for (auto name : {"Authorization", "Proxy-Authorization", "X-Auth-Key",
                    "Ocp-Apim-Subscription-Key", "X-Password", "Cookie", "X-Session"})
    EXPECT_TRUE(is_credential_name(name)) << name;
  for (auto name : {"X-Tenant", "Content-Type", "Accept"})
    EXPECT_FALSE(is_credential_name(name)) << name;
  EXPECT_EQ(masked_url("https://u:p:q@as.example.com:8443/x?y=z"),
            "https://u:\u2022\u2022\u2022@as.example.com:8443/x?y=z");
  EXPECT_EQ(masked_url("https://as.example.com/up?tenant=a&apikey=S3cr&Access_Token=t#f"),
            "https://as.example.com/up?tenant=a&apikey=\u2022\u2022\u2022&Access_Token="
            "\u2022\u2022\u2022#f");
  EXPECT_EQ(masked_url("https://as.example.com?sig=x"),
            "https://as.example.com?sig=\u2022\u2022\u2022");
}

TEST(domain_roles, an_admin_is_never_restricted_even_with_domains_stored) {
  auto admin = with_role(store::role::admin, {france});
  EXPECT_FALSE(is_restricted(admin));
  EXPECT_EQ(visibility_of(admin, connection_in({germany})), visibility::full);
  EXPECT_TRUE(may_manage_users(admin));
}

TEST(domain_roles, a_viewer_changes_nothing_and_only_an_admin_manages_users) {
  auto viewer = with_role(store::role::viewer);
  EXPECT_FALSE(may_write(viewer));
  EXPECT_FALSE(may_modify(viewer, connection_in({france})));
  EXPECT_EQ(modify_refusal(viewer, connection_in({france})), "a viewer changes nothing");
  EXPECT_TRUE(may_modify(manager_of({}), connection_in({france})));
  EXPECT_FALSE(may_manage_users(manager_of({})));
  EXPECT_FALSE(may_manage_users(viewer));
}

TEST(domain_assignment, a_restricted_manager_gives_whole_domains_at_or_below_its_own) {
  auto user = manager_of({france});
  EXPECT_TRUE(assign(user, {france}).empty());
  EXPECT_TRUE(assign(user, {paris}).empty());
  EXPECT_EQ(fields_of(assign(user, {emea})),
            (std::vector<std::string>{"domains[0].name", "domains"}));
  EXPECT_EQ(fields_of(assign(user, {germany})),
            (std::vector<std::string>{"domains[0].name", "domains"}));
  EXPECT_EQ(fields_of(assign(user, {paris, acme})), std::vector<std::string>{"domains[1].name"})
      << "a group it holds nothing in";
  EXPECT_TRUE(assign(manager_of({france, acme}), {paris, acme}).empty());
}

TEST(domain_assignment, a_prefix_is_never_a_domain) {
  auto user = manager_of({france});
  EXPECT_EQ(fields_of(assign(user, {domain_ref{"Region", "EMEA/Fra"}})),
            (std::vector<std::string>{"domains[0].name", "domains"}));
  EXPECT_EQ(fields_of(assign(manager_of({}), {domain_ref{"Region", "EM"}})),
            std::vector<std::string>{"domains[0].name"});
}

TEST(domain_assignment, a_restricted_manager_gives_at_least_one_of_its_domains) {
  auto user = manager_of({france});
  EXPECT_EQ(fields_of(assign(user, {})), std::vector<std::string>{"domains"});
  EXPECT_EQ(fields_of(assign(user, {acme})),
            (std::vector<std::string>{"domains[0].name", "domains"}));
  EXPECT_TRUE(assign(manager_of({}), {}).empty()) << "unrestricted: cross-domain allowed";
}

TEST(domain_assignment, only_existing_domains_are_given) {
  EXPECT_EQ(fields_of(assign(with_role(store::role::admin), {domain_ref{"Region", "Asia"}})),
            std::vector<std::string>{"domains[0].name"});
  EXPECT_EQ(fields_of(assign(with_role(store::role::admin), {domain_ref{"Nope", "EMEA"}})),
            std::vector<std::string>{"domains[0].name"});
}

TEST(domain_assignment, an_inactive_domain_is_given_to_nothing_new_but_stays_where_it_was) {
  auto admin = with_role(store::role::admin);
  EXPECT_EQ(fields_of(assign(admin, {emea}, {}, defined(false))),
            std::vector<std::string>{"domains[0].name"});
  EXPECT_TRUE(assign(admin, {emea}, {emea}, defined(false)).empty());
}

TEST(domain_assignment, at_most_one_domain_per_group_per_connection) {
  auto admin = with_role(store::role::admin);
  EXPECT_EQ(fields_of(assign(admin, {france, germany})),
            std::vector<std::string>{"domains[1].group"});
  EXPECT_TRUE(assign(admin, {france, acme}).empty());
  // Two of one group the connection already had together (a store from before groups put every
  // domain in `default`) may stay; a second one of that group is still not added.
  EXPECT_TRUE(assign(admin, {france, germany}, {france, germany}).empty());
  EXPECT_EQ(fields_of(assign(admin, {france, germany}, {france})),
            std::vector<std::string>{"domains[1].group"});
}

TEST(domain_assignment, a_restricted_manager_learns_nothing_of_domains_outside_its_own) {
  // Defined or not, a domain outside its own gets the same answer.
  auto user = manager_of({france});
  auto defined_one = assign(user, {paris, germany});
  auto undefined_one = assign(user, {paris, domain_ref{"Region", "EMEA/Spain"}});
  ASSERT_EQ(defined_one.size(), 1u);
  ASSERT_EQ(undefined_one.size(), 1u);
  EXPECT_EQ(defined_one[0].field, undefined_one[0].field);
  EXPECT_NE(defined_one[0].message.find("not one of your domains"), std::string::npos);
  EXPECT_NE(undefined_one[0].message.find("not one of your domains"), std::string::npos);
}

TEST(domain_assignment, a_defined_domain_is_not_judged_by_the_rules_for_new_names) {
  // A store from before groups defined `default:customer-number-one.example.com` (a segment
  // over 20 characters): it may be named; an undefined name of that shape is still refused.
  std::vector<store::domain> known = {{"default", "customer-number-one.example.com", "", true, {}}};
  std::vector<domain_ref> refs = {{"default", "customer-number-one.example.com"},
                                  {"default", "another-long-name.example.com"}};
  std::vector<field_error> errors;
  check_domain_refs(refs, errors);
  ASSERT_EQ(fields_of(errors), (std::vector<std::string>{"domains[0].name", "domains[1].name"}));
  auto errors_for_admin = errors;
  forgive_defined(errors_for_admin, refs, known, with_role(store::role::admin), {});
  EXPECT_EQ(fields_of(errors_for_admin), std::vector<std::string>{"domains[1].name"});
  // A restricted user is forgiven only what it covers or the connection had: that the domain
  // is defined is not told to another tenant.
  auto outsider = manager_of({france});
  auto errors_for_outsider = errors;
  forgive_defined(errors_for_outsider, refs, known, outsider, {});
  EXPECT_EQ(fields_of(errors_for_outsider),
            (std::vector<std::string>{"domains[0].name", "domains[1].name"}));
  auto errors_kept = errors;
  forgive_defined(errors_kept, refs, known, outsider, {refs[0]});
  EXPECT_EQ(fields_of(errors_kept), std::vector<std::string>{"domains[1].name"});
  // Forgiving a name's form never forgives its repetition.
  std::vector<field_error> twice;
  check_domain_refs({refs[0], refs[0]}, twice);
  forgive_defined(twice, {refs[0], refs[0]}, known, with_role(store::role::admin), {});
  EXPECT_EQ(fields_of(twice), std::vector<std::string>{"domains[1]"});
}

TEST(domain_assignment, a_long_list_is_refused_whole_and_quoted_names_are_cut) {
  std::vector<domain_ref> many(max_domain_refs + 1, france);
  std::vector<field_error> errors;
  check_domain_refs(many, errors);
  EXPECT_EQ(fields_of(errors), std::vector<std::string>{"domains"});
  EXPECT_TRUE(assign(with_role(store::role::admin), many).empty()) << "said once, above";

  auto long_name =
      assign(with_role(store::role::admin), {domain_ref{"Region", std::string(100000, 'x')}});
  ASSERT_EQ(long_name.size(), 1u);
  EXPECT_LT(long_name[0].message.size(), 200u) << long_name[0].message.size();
}

TEST(domain_assignment, a_restricted_manager_keeps_the_domains_outside_its_own) {
  auto user = manager_of({france});
  std::vector<domain_ref> previous{paris, acme};
  EXPECT_TRUE(assign(user, {france, acme}, previous).empty()) << "moves within its own";
  EXPECT_EQ(fields_of(assign(user, {paris}, previous)), std::vector<std::string>{"domains"});
  EXPECT_TRUE(assign(user, {acme, paris}, previous).empty());
}

}  // namespace
}  // namespace tr::api
