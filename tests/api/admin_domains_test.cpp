// The domain endpoints and the domain rules on the other endpoints, one test per rule. The
// fixture's domains: Region (EMEA, EMEA/France, EMEA/France/Paris, EMEA/Germany, Asia) and
// Customer (Acme); user A manages Region:EMEA/France, user B Region:EMEA/Germany.

#include "tests/api/admin_api_fixture.hpp"

namespace tr::api::testing {
namespace {

class admin_domains : public admin_api_test {
 protected:
  /// A user made by the admin; its token.
  std::string make_user(std::string_view role, std::string_view domains_json) {
    auto made = call("POST", "/api/v1/users",
                     R"({"name": "u", "role": ")" + std::string{role} + R"(", "domains": )" +
                         std::string{domains_json} + "}");
    EXPECT_EQ(made.status, 201) << made.body;
    return text(made, "token");
  }

  /// The `name`s of a list answer's `key` array, as `group:name` when the items have a group.
  std::vector<std::string> names(const api_answer& answer, std::string_view key) {
    std::vector<std::string> out;
    simdjson::dom::array list;
    if (json(answer)[key].get_array().get(list)) return out;
    for (auto one : list) {
      std::string_view group;
      std::string name{std::string_view{one["name"].get_string()}};
      out.push_back(one["group"].get(group) ? name : std::string{group} + ":" + name);
    }
    return out;
  }

  /// The `domains` of a stored connection as `group:name`.
  std::vector<std::string> stored_domains(const std::string& id) {
    std::vector<std::string> out;
    auto found = db_->get_connection(id);
    EXPECT_TRUE(found);
    if (found)
      for (const auto& one : found->domains) out.push_back(one.group + ":" + one.name);
    return out;
  }

  static std::string connection_path(std::string_view id) {
    return "/api/v1/connections/" + std::string{id};
  }
};

// ---- the domain endpoints ----

TEST_F(admin_domains, an_admin_defines_a_group_and_a_domain_and_gets_them_back) {
  auto group = call("POST", "/api/v1/domain-groups",
                    R"({"name": "Site", "description": "Buildings", "color": "#A0B1C2"})");
  ASSERT_EQ(group.status, 201) << group.body;
  EXPECT_EQ(text(group, "color"), "#a0b1c2");
  EXPECT_EQ(text(group, "description"), "Buildings");
  auto plain = call("POST", "/api/v1/domain-groups", R"({"name": "Plain"})");
  EXPECT_EQ(text(plain, "color"), store::default_group_color);
  auto made = call("POST", "/api/v1/domains", R"({"group": "Site", "name": "Tower A"})");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(text(made, "group"), "Site");
  EXPECT_TRUE(bool{json(made)["active"]}) << "active by default";
  auto read = call("GET", "/api/v1/domains/Site/Tower%20A");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(text(read, "name"), "Tower A");
  EXPECT_EQ(text(call("GET", "/api/v1/domain-groups/Site"), "description"), "Buildings");
}

TEST_F(admin_domains, a_domain_path_keeps_its_slashes_as_path_segments) {
  auto read = call("GET", "/api/v1/domains/Region/EMEA/France/Paris");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(text(read, "name"), "EMEA/France/Paris");
  EXPECT_EQ(call("GET", "/api/v1/domains/Region/EMEA/Fra").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/domains/Region").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/domains/Region/EMEA//France").status, 404);
}

TEST_F(admin_domains, group_validation_lists_every_failing_field) {
  auto refused = call("POST", "/api/v1/domain-groups",
                      R"({"name": " Region ", "description": "a\u0001b", "color": "red"})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), (std::vector<std::string>{"name", "description", "color"}));
  EXPECT_EQ(
      error_fields(call("POST", "/api/v1/domain-groups", R"({"name": "123456789012345678901"})")),
      std::vector<std::string>{"name"});
  EXPECT_EQ(error_fields(call("POST", "/api/v1/domain-groups", R"({"name": "a/b"})")),
            std::vector<std::string>{"name"});
  EXPECT_EQ(call("POST", "/api/v1/domain-groups", R"({"name": "12345678901234567890"})").status,
            201);
}

TEST_F(admin_domains, a_group_name_is_unique_and_fixed_once_made) {
  auto again = call("POST", "/api/v1/domain-groups", R"({"name": "Region"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(error_fields(again), std::vector<std::string>{"name"});
  auto renamed = call("PATCH", "/api/v1/domain-groups/Region", R"({"name": "Area"})");
  EXPECT_EQ(renamed.status, 400);
  EXPECT_EQ(error_fields(renamed), std::vector<std::string>{"name"});
  auto changed = call("PATCH", "/api/v1/domain-groups/Region",
                      R"({"name": "Region", "description": "World", "color": "#000000"})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(text(changed, "description"), "World");
  EXPECT_EQ(text(changed, "color"), "#000000");
}

TEST_F(admin_domains, a_domain_needs_an_existing_group_and_segments_of_1_to_20_characters) {
  auto refused =
      call("POST", "/api/v1/domains", R"({"group": "Nope", "name": "EMEA/123456789012345678901"})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), (std::vector<std::string>{"name", "group"}));
  for (auto name : {"", "/EMEA", "EMEA/", "EMEA//x", " EMEA", "EMEA/..", "EMEA/.", ".."})
    EXPECT_EQ(error_fields(call("POST", "/api/v1/domains",
                                R"({"group": "Region", "name": ")" + std::string{name} + "\"}")),
              std::vector<std::string>{"name"})
        << name;
}

TEST_F(admin_domains, a_group_may_not_be_named_with_a_dot_segment) {
  for (auto name : {".", ".."})
    EXPECT_EQ(error_fields(call("POST", "/api/v1/domain-groups",
                                R"({"name": ")" + std::string{name} + "\"}")),
              std::vector<std::string>{"name"})
        << name;
}

TEST_F(admin_domains, a_child_needs_its_parent) {
  auto refused =
      call("POST", "/api/v1/domains", R"({"group": "Region", "name": "Americas/Brazil"})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"name"});
  EXPECT_EQ(call("POST", "/api/v1/domains", R"({"group": "Region", "name": "Asia/Japan"})").status,
            201);
}

TEST_F(admin_domains, a_domain_has_at_most_five_children) {
  for (auto name : {"Italy", "Spain", "Norway"})
    ASSERT_EQ(call("POST", "/api/v1/domains",
                   R"({"group": "Region", "name": "EMEA/)" + std::string{name} + "\"}")
                  .status,
              201);
  auto sixth = call("POST", "/api/v1/domains", R"({"group": "Region", "name": "EMEA/Poland"})");
  EXPECT_EQ(sixth.status, 409);
  EXPECT_EQ(error_fields(sixth), std::vector<std::string>{"name"});
  EXPECT_EQ(call("POST", "/api/v1/domains", R"({"group": "Region", "name": "Asia/Poland"})").status,
            201);
}

TEST_F(admin_domains, a_name_is_unique_within_its_group_only) {
  auto again = call("POST", "/api/v1/domains", R"({"group": "Region", "name": "EMEA"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(error_fields(again), std::vector<std::string>{"name"});
  EXPECT_EQ(call("POST", "/api/v1/domains", R"({"group": "Customer", "name": "EMEA"})").status,
            201);
}

TEST_F(admin_domains, a_patch_changes_active_and_the_description_only) {
  auto changed = call("PATCH", "/api/v1/domains/Region/EMEA/Germany",
                      R"({"active": false, "description": "closed"})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_FALSE(bool{json(changed)["active"]});
  auto moved = call("PATCH", "/api/v1/domains/Region/EMEA/Germany",
                    R"({"group": "Customer", "name": "EMEA/Deutschland"})");
  EXPECT_EQ(moved.status, 400);
  EXPECT_EQ(error_fields(moved), (std::vector<std::string>{"group", "name"}));
  EXPECT_EQ(call("PATCH", "/api/v1/domains/Region/EMEA/Germany", R"({"active": "yes"})").status,
            400);
}

TEST_F(admin_domains, a_domain_in_use_is_not_deleted_and_the_refusal_says_what_uses_it) {
  auto id = create("AS Paris", R"([{"group": "Region", "name": "EMEA/France/Paris"}])");
  auto refused = call("DELETE", "/api/v1/domains/Region/EMEA/France/Paris");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find(id), std::string::npos) << refused.body;
  auto by_user = call("DELETE", "/api/v1/domains/Region/EMEA/Germany");
  EXPECT_EQ(by_user.status, 409);
  EXPECT_NE(by_user.body.find("tenant b"), std::string::npos) << by_user.body;
  ASSERT_EQ(call("DELETE", connection_path(id)).status, 204);
  EXPECT_EQ(call("DELETE", "/api/v1/domains/Region/EMEA/France/Paris").status, 204);
  EXPECT_EQ(call("GET", "/api/v1/domains/Region/EMEA/France/Paris").status, 404);
}

TEST_F(admin_domains, a_domain_with_children_and_a_group_with_domains_are_not_deleted) {
  EXPECT_EQ(call("DELETE", "/api/v1/domains/Region/EMEA").status, 409);
  EXPECT_EQ(call("DELETE", "/api/v1/domain-groups/Customer").status, 409);
  ASSERT_EQ(call("DELETE", "/api/v1/domains/Customer/Acme").status, 204);
  EXPECT_EQ(call("DELETE", "/api/v1/domain-groups/Customer").status, 204);
  EXPECT_EQ(call("GET", "/api/v1/domain-groups/Customer").status, 404);
}

TEST_F(admin_domains, only_an_admin_defines_domains) {
  auto viewer = make_user("viewer", "[]");
  for (const auto& token : {token_a_, viewer}) {
    EXPECT_EQ(call("POST", "/api/v1/domain-groups", R"({"name": "X"})", token).status, 403);
    EXPECT_EQ(
        call("POST", "/api/v1/domains", R"({"group": "Region", "name": "EMEA/France/Lyon"})", token)
            .status,
        403);
    EXPECT_EQ(
        call("PATCH", "/api/v1/domains/Region/EMEA/France", R"({"active": false})", token).status,
        403);
    EXPECT_EQ(call("DELETE", "/api/v1/domains/Customer/Acme", "", token).status, 403);
    EXPECT_EQ(call("DELETE", "/api/v1/domain-groups/Region", "", token).status, 403);
  }
  EXPECT_EQ(db_->list_domains()->size(), 6u);
}

TEST_F(admin_domains, a_restricted_user_lists_the_domains_at_or_below_its_own) {
  EXPECT_EQ(names(call("GET", "/api/v1/domains", "", token_a_), "domains"),
            (std::vector<std::string>{"Region:EMEA/France", "Region:EMEA/France/Paris"}));
  EXPECT_EQ(names(call("GET", "/api/v1/domain-groups", "", token_a_), "groups"),
            std::vector<std::string>{"Region"});
  EXPECT_EQ(call("GET", "/api/v1/domains/Region/EMEA", "", token_a_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/domain-groups/Customer", "", token_a_).status, 404);
  EXPECT_EQ(names(call("GET", "/api/v1/domains"), "domains").size(), 6u);
}

// ---- the rules on connections, users, keys and device routes ----

TEST_F(admin_domains, a_restricted_manager_creates_connections_only_within_its_domains) {
  EXPECT_EQ(call("POST", "/api/v1/connections",
                 connection_body("paris", R"([{"group": "Region", "name": "EMEA/France/Paris"}])"),
                 token_a_)
                .status,
            201);
  struct refusal {
    std::string_view domains;
    std::vector<std::string> fields;
  };
  for (const auto& [domains, fields] : std::vector<refusal>{
           {R"([{"group": "Region", "name": "EMEA"}])", {"domains[0].name", "domains"}},
           {R"([{"group": "Region", "name": "EMEA/Fra"}])", {"domains[0].name", "domains"}},
           {in_b, {"domains[0].name", "domains"}},
           {R"([])", {"domains"}},
           {in_a_and_acme, {"domains[1].name"}},
       }) {
    auto refused = call("POST", "/api/v1/connections", connection_body("x", domains), token_a_);
    EXPECT_EQ(refused.status, 400) << domains;
    EXPECT_EQ(error_fields(refused), fields) << domains << " " << refused.body;
  }
  EXPECT_EQ(stored_connections(), 1u);
}

TEST_F(admin_domains, an_admin_gives_any_active_domain_at_most_one_per_group) {
  EXPECT_FALSE(create("both", in_a_and_acme).empty());
  auto twice = call("POST", "/api/v1/connections",
                    connection_body("two regions", R"([{"group": "Region", "name": "EMEA/France"},)"
                                                   R"( {"group": "Region", "name": "Asia"}])"));
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(error_fields(twice), std::vector<std::string>{"domains[1].group"});
}

TEST_F(admin_domains, an_inactive_domain_is_given_to_nothing_new_and_stays_where_it_is) {
  auto id = create("in Germany", in_b);
  ASSERT_EQ(call("PATCH", "/api/v1/domains/Region/EMEA/Germany", R"({"active": false})").status,
            200);
  auto refused = call("POST", "/api/v1/connections", connection_body("new", in_b));
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"domains[0].name"});
  auto user =
      call("POST", "/api/v1/users", R"({"name": "u", "domains": )" + std::string{in_b} + "}");
  EXPECT_EQ(error_fields(user), std::vector<std::string>{"domains[0].name"});
  // The connection keeps it, and stays editable by the user restricted to it.
  EXPECT_EQ(call("PATCH", connection_path(id), R"({"name": "renamed"})", token_b_).status, 200);
  EXPECT_EQ(stored_domains(id), std::vector<std::string>{"Region:EMEA/Germany"});
}

TEST_F(admin_domains, connections_and_users_of_a_store_from_before_groups_stay_editable) {
  // The upgrade makes `default:<string>` of every legacy domain string, whatever its length,
  // and a connection shared by two tenants holds two domains of group `default`.
  ASSERT_TRUE(db_->create_domain_group({"default", "", "", {}}));
  for (auto name : {"customer-number-one.example.com", "tenant-b.example.com"})
    ASSERT_TRUE(db_->create_domain({"default", name, "", true, {}}));
  constexpr std::string_view one =
      R"({"group": "default", "name": "customer-number-one.example.com"})";
  constexpr std::string_view two = R"({"group": "default", "name": "tenant-b.example.com"})";
  store::connection legacy;
  legacy.name = "legacy";
  legacy.url = "https://as.example.com/uplink";
  legacy.as_id = "TWA_1.1.legacy";
  legacy.key = "46ab678cd45df4a4e4b375eacd096acc";
  legacy.domains = {{"default", "customer-number-one.example.com"},
                    {"default", "tenant-b.example.com"}};
  auto made = db_->create_connection(legacy);
  ASSERT_TRUE(made) << made.error_value().message;
  auto path = connection_path(made->id);
  EXPECT_EQ(call("PATCH", path, R"({"paused": true})").status, 200);
  auto put =
      call("PUT", path,
           connection_body("legacy", "[" + std::string{one} + ", " + std::string{two} + "]"));
  EXPECT_EQ(put.status, 200) << put.body;
  // A second domain of a group is still not added to what had one.
  auto single = create("single", "[" + std::string{one} + "]");
  auto added = call("PATCH", connection_path(single),
                    R"({"domains": [)" + std::string{one} + ", " + std::string{two} + "]}");
  EXPECT_EQ(error_fields(added), std::vector<std::string>{"domains[1].group"});

  // The tenant restricted to the long-named domain gets a user and creates connections in it.
  auto user = call("POST", "/api/v1/users",
                   R"({"name": "tenant one", "domains": [)" + std::string{one} + "]}");
  ASSERT_EQ(user.status, 201) << user.body;
  auto mine =
      call("POST", "/api/v1/connections",
           connection_body("tenant one's", "[" + std::string{one} + "]"), text(user, "token"));
  EXPECT_EQ(mine.status, 201) << mine.body;
  // An undefined name of that shape is still judged by the rules for names.
  auto undefined =
      call("POST", "/api/v1/connections",
           connection_body("nope",
                           R"([{"group": "default", "name": "no-such-long-name.example.com"}])"));
  EXPECT_EQ(error_fields(undefined), std::vector<std::string>{"domains[0].name"});
}

TEST_F(admin_domains, a_restricted_manager_keeps_the_domains_outside_its_own) {
  auto id = create("shared", in_a_and_acme);
  auto dropped =
      call("PATCH", connection_path(id), R"({"domains": )" + std::string{in_a} + "}", token_a_);
  EXPECT_EQ(dropped.status, 400);
  EXPECT_EQ(error_fields(dropped), std::vector<std::string>{"domains"});
  auto moved = call("PATCH", connection_path(id),
                    R"({"domains": [{"group": "Region", "name": "EMEA/France/Paris"},)"
                    R"( {"group": "Customer", "name": "Acme"}]})",
                    token_a_);
  EXPECT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(stored_domains(id),
            (std::vector<std::string>{"Region:EMEA/France/Paris", "Customer:Acme"}));
}

TEST_F(admin_domains, a_restricted_manager_sees_and_changes_connections_below_its_domains_only) {
  auto paris = create("paris", R"([{"group": "Region", "name": "EMEA/France/Paris"}])");
  auto emea = create("emea", R"([{"group": "Region", "name": "EMEA"}])");
  EXPECT_EQ(call("GET", connection_path(paris), "", token_a_).status, 200);
  EXPECT_EQ(call("GET", connection_path(emea), "", token_a_).status, 404);
  EXPECT_EQ(call("POST", connection_path(paris) + "/key", "", token_a_).status, 200);
  EXPECT_EQ(call("POST", connection_path(emea) + "/key", "", token_a_).status, 404);
  EXPECT_EQ(call("DELETE", connection_path(emea), "", token_a_).status, 404);
  EXPECT_EQ(call("DELETE", connection_path(paris), "", token_a_).status, 204);
}

TEST_F(admin_domains, a_viewer_reads_within_its_restrictions_and_writes_nothing) {
  auto viewer = make_user("viewer", in_a);
  auto own = create("own", in_a);
  auto other = create("other", in_b);
  EXPECT_EQ(call("GET", connection_path(own), "", viewer).status, 200);
  EXPECT_TRUE(has(call("GET", connection_path(own), "", viewer), "url"));
  EXPECT_EQ(call("GET", connection_path(other), "", viewer).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/connections", connection_body("new", in_a), viewer).status, 403);
  EXPECT_EQ(call("PATCH", connection_path(own), R"({"name": "x"})", viewer).status, 403);
  EXPECT_EQ(call("PUT", connection_path(own), connection_body("x", in_a), viewer).status, 403);
  EXPECT_EQ(call("POST", connection_path(own) + "/key", "", viewer).status, 403);
  EXPECT_EQ(call("POST", connection_path(own) + "/test", "", viewer).status, 403);
  EXPECT_EQ(call("DELETE", connection_path(own), "", viewer).status, 403);
  EXPECT_EQ(call("PUT", "/api/v1/devices/0011223344AABBCC", R"({"connections": [")" + own + "\"]}",
                 viewer)
                .status,
            403);
  EXPECT_EQ(call("POST", "/api/v1/devices:import",
                 R"({"devEUI": "0011223344AABBCC", "connections": [")" + own + "\"]}", viewer)
                .status,
            403);
  EXPECT_EQ(stored_connections(), 2u);
  EXPECT_FALSE(db_->get_device_route("0011223344AABBCC"));
}

TEST_F(admin_domains, a_restricted_manager_routes_devices_only_to_connections_below_its_domains) {
  auto paris = create("paris", R"([{"group": "Region", "name": "EMEA/France/Paris"}])");
  auto emea = create("emea", R"([{"group": "Region", "name": "EMEA"}])");
  auto put = [&](const std::string& id) {
    return call("PUT", "/api/v1/devices/0011223344AABBCC", R"({"connections": [")" + id + "\"]}",
                token_a_);
  };
  EXPECT_EQ(put(paris).status, 200);
  auto hidden = put(emea);
  EXPECT_EQ(hidden.status, 400);
  EXPECT_EQ(error_fields(hidden), std::vector<std::string>{"connections[0]"});
  auto imported = call("POST", "/api/v1/devices:import",
                       R"({"devEUI": "0000000000000001", "connections": [")" + paris + "\"]}\n" +
                           R"({"devEUI": "0000000000000002", "connections": [")" + emea + "\"]}",
                       token_a_);
  ASSERT_EQ(imported.status, 200) << imported.body;
  EXPECT_EQ(int64_t{json(imported)["imported"]}, 1);
  EXPECT_EQ(int64_t{json(imported)["rejected"].at(0)["line"]}, 2);
}

TEST_F(admin_domains, users_are_restricted_to_existing_active_domains_and_an_admin_to_none) {
  auto viewer = call("POST", "/api/v1/users",
                     R"({"name": "v", "role": "viewer", "domains": )" + std::string{in_a} + "}");
  ASSERT_EQ(viewer.status, 201) << viewer.body;
  EXPECT_EQ(text(viewer, "role"), "viewer");
  auto unknown = call("POST", "/api/v1/users",
                      R"({"name": "v", "domains": [{"group": "Region", "name": "EMEA/Fra"}]})");
  EXPECT_EQ(error_fields(unknown), std::vector<std::string>{"domains[0].name"});
  auto admin = call("POST", "/api/v1/users",
                    R"({"name": "boss", "role": "admin", "domains": )" + std::string{in_a} + "}");
  EXPECT_EQ(error_fields(admin), std::vector<std::string>{"domains"});
  auto second_admin = call("POST", "/api/v1/users", R"({"name": "boss", "role": "admin"})");
  ASSERT_EQ(second_admin.status, 201);
  EXPECT_EQ(call("GET", "/api/v1/users", "", text(second_admin, "token")).status, 200);
}

}  // namespace
}  // namespace tr::api::testing
