#include <atomic>
#include <thread>

#include "tests/api/admin_api_fixture.hpp"

namespace tr::api::testing {
namespace {

using admin_connections = admin_api_test;

TEST_F(admin_connections, creating_answers_201_with_the_connection_and_its_key) {
  auto made = call("POST", "/api/v1/connections", connection_body("AS one"));
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.content_type, "application/json");
  EXPECT_EQ(text(made, "name"), "AS one");
  EXPECT_EQ(text(made, "url"), "https://as.example.com/uplink");
  EXPECT_EQ(text(made, "contentType"), "JSON");
  EXPECT_EQ(text(made, "asId"), "TWA_1.1.AS_one");
  EXPECT_EQ(int64_t{json(made)["maxTimeDeviation"]}, 60);
  EXPECT_EQ(text(made, "key").size(), 32u);
  EXPECT_EQ(text(made, "key"), db_->get_connection(text(made, "id"))->key);
  EXPECT_FALSE(text(made, "createdAt").empty());
  EXPECT_EQ(header(made, "Cache-Control"), "no-store");
}

TEST_F(admin_connections, a_given_key_is_kept_in_lower_case) {
  auto made = call("POST", "/api/v1/connections",
                   connection_body("AS", "[]", R"(, "key": "46AB678CD45DF4A4E4B375EACD096ACC")"));
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(text(made, "key"), "46ab678cd45df4a4e4b375eacd096acc");
  EXPECT_EQ(db_->get_connection(text(made, "id"))->key, "46ab678cd45df4a4e4b375eacd096acc");
}

TEST_F(admin_connections, reads_never_show_the_key) {
  auto id = create("AS one");
  auto one = call("GET", "/api/v1/connections/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(text(one, "name"), "AS one");
  EXPECT_FALSE(has(one, "key"));
  auto list = call("GET", "/api/v1/connections");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(listed_ids(list), std::vector<std::string>{id});
  EXPECT_EQ(list.body.find("\"key\""), std::string::npos);
}

TEST_F(admin_connections, a_viewer_reads_no_credential_of_the_as) {
  auto made = call("POST", "/api/v1/connections",
                   R"({"name": "AS one", "url": "https://u:pw@as.example.com/uplink",
                       "contentType": "JSON", "asId": "TWA_1.1.one",
                       "headers": [{"name": "Authorization", "value": "Bearer s3cret-bearer"},
                                   {"name": "X-Tenant", "value": "t"}]})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto id = text(made, "id");
  auto viewer = call("POST", "/api/v1/users", R"({"name": "looker", "role": "viewer"})");
  ASSERT_EQ(viewer.status, 201) << viewer.body;
  auto token = text(viewer, "token");
  for (auto path : {"/api/v1/connections/" + id, std::string{"/api/v1/connections"}}) {
    auto seen = call("GET", path, "", token);
    ASSERT_EQ(seen.status, 200) << seen.body;
    EXPECT_EQ(seen.body.find("pw@"), std::string::npos) << seen.body;
    // (A secret of letters outside hex: a random id cannot hold it by chance.)
    EXPECT_EQ(seen.body.find("s3cret"), std::string::npos) << seen.body;
    EXPECT_NE(seen.body.find("https://u:\u2022\u2022\u2022@as.example.com/uplink"),
              std::string::npos)
        << seen.body;
    EXPECT_NE(seen.body.find(R"("value":"t")"), std::string::npos) << seen.body;
  }
  auto admin_view = call("GET", "/api/v1/connections/" + id);
  EXPECT_EQ(text(admin_view, "url"), "https://u:pw@as.example.com/uplink");
}

TEST_F(admin_connections, put_replaces_the_whole_form) {
  auto id = create("AS one");
  auto changed = call("PUT", "/api/v1/connections/" + id,
                      R"({"name": "AS two", "url": "https://other.example.com/", )"
                      R"("contentType": "XML", "asId": "AS2"})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  auto stored = *db_->get_connection(id);
  EXPECT_EQ(stored.name, "AS two");
  EXPECT_EQ(stored.type, store::content_type::xml);
  EXPECT_TRUE(stored.headers.empty());
  EXPECT_TRUE(stored.additional_info.empty());
  EXPECT_FALSE(has(changed, "key"));
}

TEST_F(admin_connections, put_and_patch_keep_the_key_when_none_is_given) {
  auto made = call("POST", "/api/v1/connections", connection_body("AS one"));
  auto id = text(made, "id");
  auto key = text(made, "key");
  ASSERT_EQ(call("PUT", "/api/v1/connections/" + id, connection_body("AS two")).status, 200);
  ASSERT_EQ(call("PATCH", "/api/v1/connections/" + id, R"({"name": "AS three"})").status, 200);
  EXPECT_EQ(db_->get_connection(id)->key, key);
}

TEST_F(admin_connections, a_key_given_to_put_replaces_the_stored_one_and_is_not_echoed) {
  auto id = create("AS one");
  auto changed =
      call("PUT", "/api/v1/connections/" + id,
           connection_body("AS", "[]", R"(, "key": "0123456789ABCDEF0123456789abcdef")"));
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_FALSE(has(changed, "key"));
  EXPECT_EQ(db_->get_connection(id)->key, "0123456789abcdef0123456789abcdef");
}

TEST_F(admin_connections, text_fields_travel_escaped_and_come_back_unchanged) {
  auto id = create("x");
  auto patched = call("PATCH", "/api/v1/connections/" + id,
                      R"({"name": "AS \"quoted\" \\ caf\u00e9 \u2603",
                          "additionalInfo": "line 1\nline 2\t\u0001"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  auto read = call("GET", "/api/v1/connections/" + id);
  EXPECT_EQ(text(read, "name"), "AS \"quoted\" \\ caf\u00e9 \u2603");
  EXPECT_EQ(text(read, "additionalInfo"), "line 1\nline 2\t\x01");
}

TEST_F(admin_connections, patch_changes_only_the_given_fields) {
  auto id = create("AS one");
  auto changed =
      call("PATCH", "/api/v1/connections/" + id, R"({"asId": "AS9", "maxTimeDeviation": 120})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  auto stored = *db_->get_connection(id);
  EXPECT_EQ(stored.as_id, "AS9");
  EXPECT_EQ(stored.max_time_deviation_s, 120);
  EXPECT_EQ(stored.name, "AS one");
  EXPECT_EQ(stored.headers, (std::vector<store::header>{{"X-Tenant", "t"}}));
  EXPECT_EQ(stored.additional_info, "secret info");
}

TEST_F(admin_connections, a_failing_patch_stores_nothing) {
  auto id = create("AS one");
  auto before = *db_->get_connection(id);
  auto refused = call("PATCH", "/api/v1/connections/" + id, R"({"name": "", "asId": "A B"})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), (std::vector<std::string>{"name", "asId"}));
  EXPECT_EQ(*db_->get_connection(id), before);
}

TEST_F(admin_connections, delete_answers_204_and_the_connection_is_gone) {
  auto id = create("AS one");
  auto gone = call("DELETE", "/api/v1/connections/" + id);
  EXPECT_EQ(gone.status, 204);
  EXPECT_TRUE(gone.body.empty());
  EXPECT_EQ(call("GET", "/api/v1/connections/" + id).status, 404);
  EXPECT_EQ(stored_connections(), 0u);
}

TEST_F(admin_connections, regenerating_the_key_returns_a_new_one_and_stores_it) {
  auto made = call("POST", "/api/v1/connections", connection_body("AS one"));
  auto id = text(made, "id");
  auto renewed = call("POST", "/api/v1/connections/" + id + "/key");
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  auto key = text(renewed, "key");
  EXPECT_EQ(key.size(), 32u);
  EXPECT_NE(key, text(made, "key"));
  EXPECT_EQ(db_->get_connection(id)->key, key);
  EXPECT_EQ(header(renewed, "Cache-Control"), "no-store");
}

TEST_F(admin_connections, an_unknown_connection_is_404_for_every_method) {
  std::string path = "/api/v1/connections/0123456789abcdef";
  EXPECT_EQ(call("GET", path).status, 404);
  EXPECT_EQ(call("PUT", path, connection_body("AS")).status, 404);
  EXPECT_EQ(call("PATCH", path, "{}").status, 404);
  EXPECT_EQ(call("DELETE", path).status, 404);
  EXPECT_EQ(call("POST", path + "/key").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/connections/not-an-id").status, 404);
}

TEST_F(admin_connections, a_404_for_an_id_that_is_not_utf8_is_still_valid_json) {
  auto answer = call("GET", "/api/v1/connections/c-\xe2");
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(answer.body, "{\"error\":\"no connection c-\xEF\xBF\xBD\"}");
  EXPECT_EQ(text(answer, "error"), "no connection c-\xEF\xBF\xBD");  // parses as JSON
}

TEST_F(admin_connections, validation_lists_every_failing_field_and_stores_nothing) {
  auto refused = call("POST", "/api/v1/connections",
                      R"({"name": "AS", "url": "https://as.example.com/", "contentType": "CSV",
                          "headers": [{"name": "A", "value": "1"}, {"name": "Host", "value": "h"},
                                      {"name": "C", "value": "3"}, {"name": "D", "value": "4"},
                                      {"name": "E", "value": "5"}, {"name": "F", "value": "6"}]})");
  ASSERT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused),
            (std::vector<std::string>{"contentType", "asId", "headers", "headers[1].name"}));
  EXPECT_EQ(stored_connections(), 0u);
}

TEST_F(admin_connections, malformed_json_is_400_and_stores_nothing) {
  auto refused = call("POST", "/api/v1/connections", R"({"name": "AS", )");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"body"});
  EXPECT_EQ(call("POST", "/api/v1/connections", "").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/connections", "[1, 2]").status, 400);
  EXPECT_EQ(stored_connections(), 0u);
}

TEST_F(admin_connections, a_name_that_is_a_number_is_400_naming_the_field) {
  auto body = connection_body("AS");
  body.replace(body.find(R"("AS")"), 4, "42");
  auto refused = call("POST", "/api/v1/connections", body);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"name"});
  EXPECT_EQ(stored_connections(), 0u);
}

TEST_F(admin_connections, a_body_over_the_limit_is_413_and_stores_nothing) {
  use_options({.max_body_bytes = 1024});
  auto big = connection_body("AS", "[]", R"(, "x": ")" + std::string(2000, 'x') + "\"");
  auto refused = call("POST", "/api/v1/connections", big);
  EXPECT_EQ(refused.status, 413);
  EXPECT_TRUE(has(refused, "error"));
  EXPECT_EQ(stored_connections(), 0u);
}

TEST_F(admin_connections, http_urls_are_accepted_only_when_allowed) {
  auto body = connection_body("AS");
  body.replace(body.find("https"), 5, "http");
  auto refused = call("POST", "/api/v1/connections", body);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_fields(refused), std::vector<std::string>{"url"});
  use_options({.allow_http = true});
  EXPECT_EQ(call("POST", "/api/v1/connections", body).status, 201);
}

TEST_F(admin_connections, concurrent_requests_from_several_threads_are_all_served) {
  constexpr int threads = 4, per_thread = 10;
  std::vector<std::thread> workers;
  std::atomic<int> created{0};
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto name = "AS " + std::to_string(t) + "." + std::to_string(i);
        if (api_->handle({"POST", "/api/v1/connections", "", "Bearer " + std::string{admin_token},
                          connection_body(name)})
                .status == 201)
          ++created;
        api_->handle({"GET", "/api/v1/connections", "", "Bearer " + std::string{admin_token}, ""});
      }
    });
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(created.load(), threads * per_thread);
  EXPECT_EQ(stored_connections(), static_cast<std::size_t>(threads * per_thread));
}

TEST_F(admin_connections, a_second_connection_with_the_same_as_id_is_409_naming_the_first) {
  auto first = create("AS one");
  auto again = call("POST", "/api/v1/connections", connection_body("AS one"));  // same asId
  ASSERT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("TWA_1.1.AS_one"), std::string::npos) << again.body;
  EXPECT_NE(again.body.find("\\\"AS one\\\" (" + first + ")"), std::string::npos) << again.body;
  EXPECT_EQ(db_->list_connections()->size(), 1u);
}

TEST_F(admin_connections, put_or_patch_to_an_as_id_in_use_is_409_and_changes_nothing) {
  create("AS one");
  auto second = create("AS two");
  auto put = call("PUT", "/api/v1/connections/" + second,
                  R"({"name": "AS two", "url": "https://as.example.com/", )"
                  R"("contentType": "XML", "asId": "TWA_1.1.AS_one"})");
  EXPECT_EQ(put.status, 409) << put.body;
  auto patch = call("PATCH", "/api/v1/connections/" + second, R"({"asId": "TWA_1.1.AS_one"})");
  EXPECT_EQ(patch.status, 409) << patch.body;
  EXPECT_NE(patch.body.find("AS one"), std::string::npos) << patch.body;
  EXPECT_EQ(db_->get_connection(second)->as_id, "TWA_1.1.AS_two");
}

TEST_F(admin_connections, a_connection_keeps_its_own_as_id_through_put_and_patch) {
  auto id = create("AS one");
  auto patch = call("PATCH", "/api/v1/connections/" + id, R"({"asId": "TWA_1.1.AS_one", "name": "AS 1"})");
  EXPECT_EQ(patch.status, 200) << patch.body;
  auto freed = call("PATCH", "/api/v1/connections/" + id, R"({"asId": "other"})");
  EXPECT_EQ(freed.status, 200) << freed.body;
  EXPECT_EQ(call("POST", "/api/v1/connections", connection_body("AS one")).status, 201);
}

TEST_F(admin_connections, a_restricted_user_hears_of_a_hidden_duplicate_without_its_name) {
  create("secret", in_b);
  auto again = call("POST", "/api/v1/connections", connection_body("secret", in_a), token_a_);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("another connection"), std::string::npos) << again.body;
  EXPECT_EQ(again.body.find("\\\"secret\\\""), std::string::npos) << again.body;
}

}  // namespace
}  // namespace tr::api::testing
