// Device routes: PUT, GET, DELETE and the NDJSON import, with the domain rules.

#include "tests/api/admin_api_fixture.hpp"

namespace tr::api::testing {
namespace {

constexpr std::string_view dev_eui = "0011223344AABBCC";

class admin_devices : public admin_api_test {
 protected:
  void SetUp() override {
    admin_api_test::SetUp();
    of_a_ = create("of A", in_a);
    of_b_ = create("of B", in_b);
    cross_ = create("cross-domain", "[]");
  }

  static std::string path(std::string_view eui = dev_eui) {
    return "/api/v1/devices/" + std::string{eui};
  }

  static std::string route_body(std::initializer_list<std::string> ids) {
    std::string out = R"({"connections": [)";
    for (const auto& id : ids) out += (out.back() == '[' ? "\"" : ", \"") + id + "\"";
    return out + "]}";
  }

  /// The stored connection ids of the device, empty if it has no route.
  std::vector<std::string> routed(std::string_view eui = dev_eui) {
    auto route = db_->get_device_route(eui);
    return route ? route->connection_ids : std::vector<std::string>{};
  }

  std::vector<std::string> connections_of(const api_answer& answer) {
    std::vector<std::string> out;
    simdjson::dom::array list;
    if (json(answer)["connections"].get_array().get(list)) return out;
    for (auto id : list) out.emplace_back(std::string_view{id.get_string()});
    return out;
  }

  std::string of_a_, of_b_, cross_;
};

TEST_F(admin_devices, put_routes_a_device_and_get_reads_it_back_in_upper_case) {
  auto put = call("PUT", path("0011223344aabbcc"), route_body({of_a_, of_b_}));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(text(put, "devEUI"), dev_eui);
  auto got = call("GET", path());
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(text(got, "devEUI"), dev_eui);
  EXPECT_EQ(connections_of(got), routed());
  EXPECT_EQ(routed().size(), 2u);
}

TEST_F(admin_devices, put_replaces_the_previous_route) {
  ASSERT_EQ(call("PUT", path(), route_body({of_a_, of_b_})).status, 200);
  ASSERT_EQ(call("PUT", path(), route_body({cross_})).status, 200);
  EXPECT_EQ(routed(), std::vector<std::string>{cross_});
}

TEST_F(admin_devices, put_with_an_empty_list_removes_the_route) {
  ASSERT_EQ(call("PUT", path(), route_body({of_a_})).status, 200);
  auto emptied = call("PUT", path(), R"({"connections": []})");
  EXPECT_EQ(emptied.status, 200);
  EXPECT_EQ(call("GET", path()).status, 404);
}

TEST_F(admin_devices, delete_removes_the_route_and_a_second_delete_is_404) {
  ASSERT_EQ(call("PUT", path(), route_body({of_a_})).status, 200);
  EXPECT_EQ(call("DELETE", path()).status, 204);
  EXPECT_TRUE(routed().empty());
  EXPECT_EQ(call("DELETE", path()).status, 404);
}

TEST_F(admin_devices, an_unrouted_device_is_404) {
  EXPECT_EQ(call("GET", path()).status, 404);
}

TEST_F(admin_devices, a_malformed_dev_eui_is_400) {
  for (auto eui : {"0011", "0011223344AABBCG", "0011223344AABBCC00"}) {
    auto refused = call("PUT", path(eui), route_body({of_a_}));
    EXPECT_EQ(refused.status, 400) << eui;
    EXPECT_EQ(error_fields(refused), std::vector<std::string>{"devEUI"}) << eui;
    EXPECT_EQ(call("GET", path(eui)).status, 400) << eui;
  }
}

TEST_F(admin_devices, routing_to_an_unknown_connection_is_400_naming_the_entry) {
  auto refused = call("PUT", path(), route_body({of_a_, "0123456789abcdef"}));
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"connections[1]"});
  EXPECT_TRUE(routed().empty());
}

TEST_F(admin_devices, a_body_without_connections_or_with_wrong_types_is_400) {
  EXPECT_EQ(error_fields(call("PUT", path(), "{}")), std::vector<std::string>{"connections"});
  EXPECT_EQ(error_fields(call("PUT", path(), R"({"connections": [7]})")),
            std::vector<std::string>{"connections[0]"});
  EXPECT_EQ(error_fields(call("PUT", path(), R"({"connections": "x"})")),
            std::vector<std::string>{"connections"});
  EXPECT_EQ(error_fields(call("PUT", path(), "not json")), std::vector<std::string>{"body"});
  EXPECT_TRUE(routed().empty());
}

TEST_F(admin_devices, a_dev_eui_in_the_body_must_match_the_path) {
  auto body = R"({"devEUI": "0011223344aabbcc", "connections": [")" + of_a_ + "\"]}";
  EXPECT_EQ(call("PUT", path(), body).status, 200);
  auto other = R"({"devEUI": "FFFF223344AABBCC", "connections": [")" + of_a_ + "\"]}";
  EXPECT_EQ(error_fields(call("PUT", path(), other)), std::vector<std::string>{"devEUI"});
}

TEST_F(admin_devices, a_restricted_user_routes_a_device_to_its_domains_connections) {
  auto put = call("PUT", path(), route_body({of_a_}), token_a_);
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(call("GET", path(), "", token_a_).status, 200);
  EXPECT_EQ(call("DELETE", path(), "", token_a_).status, 204);
}

TEST_F(admin_devices, a_restricted_user_cannot_route_to_a_cross_domain_connection) {
  auto refused = call("PUT", path(), route_body({of_a_, cross_}), token_a_);
  EXPECT_EQ(refused.status, 403);
  EXPECT_TRUE(routed().empty());
}

TEST_F(admin_devices, another_domains_connection_is_unknown_to_a_restricted_user) {
  auto refused = call("PUT", path(), route_body({of_b_}), token_a_);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"connections[0]"});
  EXPECT_TRUE(routed().empty());
}

TEST_F(admin_devices, a_route_through_a_hidden_connection_does_not_exist_for_a_restricted_user) {
  ASSERT_EQ(call("PUT", path(), route_body({of_a_, of_b_})).status, 200);
  EXPECT_EQ(call("GET", path(), "", token_a_).status, 404);
  EXPECT_EQ(call("DELETE", path(), "", token_a_).status, 404);
  EXPECT_EQ(call("PUT", path(), route_body({of_a_}), token_a_).status, 403);
  EXPECT_EQ(routed().size(), 2u);
}

TEST_F(admin_devices, a_restricted_user_reads_but_cannot_change_a_cross_domain_route) {
  ASSERT_EQ(call("PUT", path(), route_body({cross_})).status, 200);
  EXPECT_EQ(call("GET", path(), "", token_a_).status, 200);
  EXPECT_EQ(call("DELETE", path(), "", token_a_).status, 403);
  EXPECT_EQ(call("PUT", path(), route_body({of_a_}), token_a_).status, 403);
  EXPECT_EQ(routed(), std::vector<std::string>{cross_});
}

TEST_F(admin_devices, import_writes_the_valid_lines_and_lists_the_bad_ones) {
  auto body = R"({"devEUI": "0000000000000001", "connections": [")" + of_a_ + "\"]}\n" +
              R"({"devEUI": "00000000000000ZZ", "connections": [")" + of_a_ + "\"]}\n" + "\n" +
              R"({"devEUI": "0000000000000002", "connections": ["0123456789abcdef"]})" + "\n" +
              "{broken\r\n" + R"({"devEUI": "0000000000000003", "connections": [")" + of_b_ +
              "\"]}\r\n";
  auto answer = call("POST", "/api/v1/devices:import", body);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(int64_t{json(answer)["imported"]}, 2);
  std::vector<int64_t> lines;
  for (auto one : json(answer)["rejected"].get_array()) lines.push_back(int64_t{one["line"]});
  EXPECT_EQ(lines, (std::vector<int64_t>{2, 4, 5}));
  EXPECT_EQ(routed("0000000000000001"), std::vector<std::string>{of_a_});
  EXPECT_EQ(routed("0000000000000003"), std::vector<std::string>{of_b_});
  EXPECT_TRUE(routed("0000000000000002").empty());
}

TEST_F(admin_devices, an_import_of_many_bad_lines_lists_the_first_hundred_and_counts_them_all) {
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "{\n";
  auto answer = call("POST", "/api/v1/devices:import", body);
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(int64_t{json(answer)["imported"]}, 0);
  EXPECT_EQ(json(answer)["rejected"].get_array().size(), 100u);
  EXPECT_EQ(int64_t{json(answer)["rejectedCount"]}, 5000);
  EXPECT_EQ(int64_t{json(answer)["rejected"].at(99)["line"]}, 100);
  EXPECT_LT(answer.body.size(), 20'000u);
}

TEST_F(admin_devices, import_names_the_reason_of_each_bad_line) {
  auto answer = call("POST", "/api/v1/devices:import",
                     R"({"devEUI": "0000000000000001", "connections": ["0123456789abcdef"]})");
  ASSERT_EQ(answer.status, 200);
  std::string_view error = json(answer)["rejected"].at(0)["error"];
  EXPECT_NE(error.find("connections[0]"), std::string_view::npos);
  EXPECT_NE(error.find("0123456789abcdef"), std::string_view::npos);
}

TEST_F(admin_devices, import_applies_the_restricted_users_rights_per_line) {
  ASSERT_EQ(call("PUT", path("0000000000000009"), route_body({of_b_})).status, 200);
  auto body = R"({"devEUI": "0000000000000001", "connections": [")" + of_a_ + "\"]}\n" +
              R"({"devEUI": "0000000000000002", "connections": [")" + cross_ + "\"]}\n" +
              R"({"devEUI": "0000000000000003", "connections": [")" + of_b_ + "\"]}\n" +
              R"({"devEUI": "0000000000000009", "connections": [")" + of_a_ + "\"]}\n";
  auto answer = call("POST", "/api/v1/devices:import", body, token_a_);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(int64_t{json(answer)["imported"]}, 1);
  EXPECT_EQ(json(answer)["rejected"].get_array().size(), 3u);
  EXPECT_EQ(routed("0000000000000001"), std::vector<std::string>{of_a_});
  EXPECT_EQ(routed("0000000000000009"), std::vector<std::string>{of_b_});
}

TEST_F(admin_devices, an_import_has_its_own_size_limit) {
  use_options({.max_body_bytes = 32, .max_import_bytes = 1024});
  auto line = R"({"devEUI": "0000000000000001", "connections": [")" + of_a_ + "\"]}\n";
  ASSERT_GT(line.size(), 32u);
  EXPECT_EQ(call("POST", "/api/v1/devices:import", line).status, 200);
  EXPECT_EQ(call("PUT", path(), route_body({of_a_})).status, 413);
  std::string big;
  while (big.size() <= 1024) big += line;
  EXPECT_EQ(call("POST", "/api/v1/devices:import", big).status, 413);
}

TEST_F(admin_devices, deleting_a_connection_takes_it_out_of_the_routes) {
  ASSERT_EQ(call("PUT", path(), route_body({of_a_, of_b_})).status, 200);
  ASSERT_EQ(call("DELETE", "/api/v1/connections/" + of_b_).status, 204);
  EXPECT_EQ(connections_of(call("GET", path())), std::vector<std::string>{of_a_});
}

}  // namespace
}  // namespace tr::api::testing
