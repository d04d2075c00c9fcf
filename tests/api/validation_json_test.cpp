#include <gtest/gtest.h>

#include "api/validation_json.hpp"

namespace tr::api {
namespace {

std::vector<std::string> fields_of(const std::vector<field_error>& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors) out.push_back(error.field);
  return out;
}

TEST(connection_form_json, decodes_every_field) {
  auto form = parse_connection_form(R"({
    "name": "AS one", "domains": [{"group": "Region", "name": "EMEA/France"}],
    "url": "https://as.example.com/",
    "contentType": "XML", "asId": "AS", "headers": [{"name": "X-A", "value": "1"}],
    "additionalInfo": "info", "maxTimeDeviation": 30, "key": "46ab678cd45df4a4e4b375eacd096acc",
    "id": "ignored", "createdAt": "ignored", "updatedAt": "ignored"})");
  EXPECT_TRUE(form.malformed.empty());
  auto checked = validate_connection(form);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked.value.name, "AS one");
  EXPECT_EQ(checked.value.type, store::content_type::xml);
  EXPECT_EQ(checked.value.headers[0].value, "1");
  EXPECT_EQ(checked.value.max_time_deviation_s, 30);
  EXPECT_EQ(checked.value.additional_info, "info");
  EXPECT_EQ(checked.value.domains, (std::vector<store::domain_ref>{{"Region", "EMEA/France"}}));
}

TEST(connection_form_json, reports_wrong_types_with_the_other_failures) {
  auto form = parse_connection_form(R"({
    "name": 5, "domains": [{"group": "G", "name": "a"}, 7, {"group": "G", "name": "/x"},
                           {"group": "G", "name": 1, "kind": 2}],
    "url": "ftp://x.example.com/",
    "contentType": "XML", "asId": "AS", "headers": [{"name": "Host", "value": 1}, "x"],
    "maxTimeDeviation": 1.5, "colour": "red"})");
  auto checked = validate_connection(form);
  EXPECT_EQ(
      fields_of(checked.errors),
      (std::vector<std::string>{"name", "domains[1]", "domains[3].name", "domains[3].kind",
                                "headers[0].value", "headers[1]", "maxTimeDeviation", "colour",
                                "url", "headers[0].name", "headers[1].name", "domains[2].name"}));
}

TEST(connection_form_json, null_counts_as_absent) {
  auto form = parse_connection_form(R"({"key": null, "headers": null, "maxTimeDeviation": null})");
  EXPECT_TRUE(form.malformed.empty());
  EXPECT_FALSE(form.key);
  EXPECT_FALSE(form.headers);
  EXPECT_FALSE(form.max_time_deviation);
}

TEST(connection_form_json, a_body_that_is_not_an_object_is_one_error) {
  for (auto body : {"", "[1]", "{\"name\": ", "\"text\""}) {
    auto form = parse_connection_form(body);
    ASSERT_EQ(form.malformed.size(), 1u) << body;
    EXPECT_EQ(form.malformed[0].field, "body");
  }
}

TEST(connection_form_json, a_huge_max_time_deviation_is_out_of_range) {
  auto form = parse_connection_form(R"({"maxTimeDeviation": 18446744073709551615})");
  EXPECT_EQ(fields_of(form.malformed), std::vector<std::string>{"maxTimeDeviation"});
  form = parse_connection_form(R"({"maxTimeDeviation": -5})");
  EXPECT_EQ(form.max_time_deviation, -5);
}

TEST(user_form_json, decodes_name_role_and_domains_and_refuses_other_fields) {
  auto form = parse_user_form(
      R"({"name": "tenant", "role": "viewer", "domains": [{"group": "G", "name": "a"}], "admin": true})");
  EXPECT_EQ(form.name, "tenant");
  EXPECT_EQ(form.role, "viewer");
  EXPECT_EQ(form.domains, (std::vector<store::domain_ref>{{"G", "a"}}));
  EXPECT_EQ(fields_of(form.malformed), std::vector<std::string>{"admin"});
}

TEST(user_form_json, a_domain_given_as_a_plain_string_is_refused_at_its_place) {
  auto form = parse_user_form(R"({"name": "tenant", "domains": ["EMEA/France"]})");
  EXPECT_EQ(fields_of(form.malformed), std::vector<std::string>{"domains[0]"});
}

TEST(domain_forms_json, decode_groups_and_domains) {
  auto group =
      parse_domain_group_form(R"({"name": "Region", "description": "d", "color": "#AbCdEf"})");
  EXPECT_TRUE(group.malformed.empty());
  auto checked = validate_new_domain_group(group);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked.value.color, "#abcdef");
  auto domain = parse_domain_form(R"({"group": "Region", "name": "EMEA/France", "active": "no"})");
  EXPECT_EQ(fields_of(domain.malformed), std::vector<std::string>{"active"});
}

}  // namespace
}  // namespace tr::api
