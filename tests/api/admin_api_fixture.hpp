#pragma once

// Shared set-up of the admin API tests: a real store in a fresh folder, the bootstrap admin, the
// domains of the worked example (group Region: EMEA, EMEA/France, EMEA/France/Paris,
// EMEA/Germany, Asia; group Customer: Acme), user A (connections-manager) restricted to
// Region:EMEA/France, user B (connections-manager) restricted to Region:EMEA/Germany, and helpers
// to call the API and read its JSON answers.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "api/admin_api.hpp"
#include "store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace tr::api::testing {

inline constexpr const char* test_data_key =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
inline constexpr std::string_view admin_token = "admin-token-for-the-tests";

/// Connection `domains` of user A's domain, of user B's, and of a domain neither holds.
inline constexpr std::string_view in_a = R"([{"group": "Region", "name": "EMEA/France"}])";
inline constexpr std::string_view in_b = R"([{"group": "Region", "name": "EMEA/Germany"}])";
inline constexpr std::string_view in_c = R"([{"group": "Region", "name": "Asia"}])";
inline constexpr std::string_view in_a_and_acme =
    R"([{"group": "Region", "name": "EMEA/France"}, {"group": "Customer", "name": "Acme"}])";

/// The asId connection_body() gives a connection named `name`: AS_IDs are unique, so it
/// follows the name ("AS one" → "TWA_1.1.AS_one").
inline std::string as_id_for(std::string_view name) {
  std::string id = "TWA_1.1.";
  for (char c : name) id.push_back(c == ' ' || c == '"' ? '_' : c);
  return id;
}

/// A connection body with the mandatory fields; `extra` is spliced in (", \"k\": v").
inline std::string connection_body(std::string_view name, std::string_view domains_json = "[]",
                                   std::string_view extra = "") {
  return std::string{R"({"name": ")"} + std::string{name} +
         R"(", "url": "https://as.example.com/uplink", "contentType": "JSON", )" +
         R"("asId": ")" + as_id_for(name) + R"(", "domains": )" + std::string{domains_json} +
         R"(, "headers": [{"name": "X-Tenant", "value": "t"}], "additionalInfo": "secret info")" +
         std::string{extra} + "}";
}

class admin_api_test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened =
        store::database::open(store::open_options{folder_.file("router.db"), test_data_key, {}});
    ASSERT_TRUE(opened) << opened.error_value().message;
    db_ = std::move(*opened);
    ASSERT_TRUE(db_->bootstrap_admin(admin_token));
    ASSERT_TRUE(db_->create_domain_group({"Region", "", "", {}}));
    ASSERT_TRUE(db_->create_domain_group({"Customer", "", "", {}}));
    for (auto name : {"EMEA", "EMEA/France", "EMEA/France/Paris", "EMEA/Germany", "Asia"})
      ASSERT_TRUE(db_->create_domain({"Region", name, "", true, {}}));
    ASSERT_TRUE(db_->create_domain({"Customer", "Acme", "", true, {}}));
    auto a =
        db_->create_user("tenant a", store::role::connections_manager, {{"Region", "EMEA/France"}});
    auto b = db_->create_user("tenant b", store::role::connections_manager,
                              {{"Region", "EMEA/Germany"}});
    ASSERT_TRUE(a && b);
    token_a_ = a->token;
    token_b_ = b->token;
    use_options({});
  }

  /// Serves the store with other options.
  void use_options(admin_api::options options) {
    api_ = std::make_unique<admin_api>(*db_, options);
  }

  /// Calls the API as the holder of `token` ("" sends no Authorization header).
  api_answer call(std::string_view method, std::string_view path, std::string_view body = {},
                  std::string_view token = admin_token) {
    std::string authorization = token.empty() ? "" : "Bearer " + std::string{token};
    return api_->handle({method, path, "", authorization, body});
  }

  /// Creates a connection as `token` and returns its id ("" on failure).
  std::string create(std::string_view name, std::string_view domains_json = "[]",
                     std::string_view token = admin_token) {
    auto made = call("POST", "/api/v1/connections", connection_body(name, domains_json), token);
    EXPECT_EQ(made.status, 201) << made.body;
    return text(made, "id");
  }

  /// The parsed body; valid until the next call of json().
  simdjson::dom::element json(const api_answer& answer) {
    auto parsed = parser_.parse(answer.body);
    EXPECT_FALSE(parsed.error()) << answer.body;
    return parsed.value_unsafe();
  }

  /// A top-level string field of the body, nullopt if absent or not a string.
  std::optional<std::string> field(const api_answer& answer, std::string_view key) {
    std::string_view value;
    if (json(answer)[key].get_string().get(value)) return std::nullopt;
    return std::string{value};
  }

  /// A top-level string field of the body, "" if absent.
  std::string text(const api_answer& answer, std::string_view key) {
    return field(answer, key).value_or("");
  }

  /// True when the body object has this top-level key.
  bool has(const api_answer& answer, std::string_view key) { return !json(answer)[key].error(); }

  /// The `field` paths of a 400's `errors`.
  std::vector<std::string> error_fields(const api_answer& answer) {
    std::vector<std::string> out;
    simdjson::dom::array errors;
    if (json(answer)["errors"].get_array().get(errors)) return out;
    for (auto error : errors) out.emplace_back(std::string_view{error["field"].get_string()});
    return out;
  }

  /// The ids of the connections a list answer holds.
  std::vector<std::string> listed_ids(const api_answer& answer) {
    std::vector<std::string> out;
    simdjson::dom::array list;
    if (json(answer)["connections"].get_array().get(list)) return out;
    for (auto one : list) out.emplace_back(std::string_view{one["id"].get_string()});
    std::sort(out.begin(), out.end());
    return out;
  }

  /// The number of stored connections.
  std::size_t stored_connections() { return db_->list_connections()->size(); }

  /// The value of a header of the answer, "" if absent.
  static std::string header(const api_answer& answer, std::string_view name) {
    for (const auto& [key, value] : answer.headers)
      if (key == name) return value;
    return "";
  }

  tr::test::temp_dir folder_;
  std::unique_ptr<store::database> db_;
  std::unique_ptr<admin_api> api_;
  std::string token_a_;
  std::string token_b_;
  simdjson::dom::parser parser_;
};

}  // namespace tr::api::testing
