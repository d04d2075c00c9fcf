#include <gtest/gtest.h>

#include "api/validation.hpp"

namespace tr::api {
namespace {

/// A form that passes every rule.
connection_form valid_form() {
  connection_form form;
  form.name = "AS one";
  form.url = "https://as.example.com/uplink";
  form.content_type = "JSON";
  form.as_id = "TWA_100002167.1111.AS";
  return form;
}

/// The fields that failed, in order.
std::vector<std::string> failing_fields(const connection_form& form,
                                        const validation_options& options = {}) {
  std::vector<std::string> out;
  for (const auto& error : validate_connection(form, options).errors) out.push_back(error.field);
  return out;
}

std::vector<header_form> headers_named(std::initializer_list<std::string> names) {
  std::vector<header_form> out;
  for (const auto& name : names) out.push_back({name, "v"});
  return out;
}

TEST(connection_validation, accepts_a_minimal_form_and_fills_the_defaults) {
  auto checked = validate_connection(valid_form());
  ASSERT_TRUE(checked.ok()) << checked.errors.front().field << ": "
                            << checked.errors.front().message;
  EXPECT_EQ(checked.value.max_time_deviation_s, 60);
  EXPECT_EQ(checked.value.type, store::content_type::json);
  EXPECT_TRUE(checked.value.key.empty());
}

TEST(connection_validation, lists_every_failing_field_at_once) {
  connection_form form;
  form.name = "  ";
  form.url = "ftp://as.example.com/";
  form.content_type = "json";
  form.as_id = "has space";
  form.headers = std::vector<header_form>{{"Host", "x"}, {"X-Ok", "bad\r\nvalue"}};
  form.domains = std::vector<store::domain_ref>{{"Region", "EMEA//France"}, {"Region", "EMEA"}};
  form.key = "xyz";
  form.max_time_deviation = 0;
  EXPECT_EQ(
      failing_fields(form),
      (std::vector<std::string>{"name", "url", "contentType", "asId", "headers[0].name",
                                "headers[1].value", "domains[0].name", "key", "maxTimeDeviation"}));
}

TEST(connection_validation, reports_missing_mandatory_fields) {
  EXPECT_EQ(failing_fields(connection_form{}),
            (std::vector<std::string>{"name", "url", "contentType", "asId"}));
}

TEST(connection_validation, accepts_each_content_type_exactly_as_written) {
  for (auto [text, type] :
       {std::pair{"XML", store::content_type::xml}, std::pair{"JSON", store::content_type::json},
        std::pair{"JSON_UNTYPED", store::content_type::json_untyped}}) {
    auto form = valid_form();
    form.content_type = text;
    auto checked = validate_connection(form);
    ASSERT_TRUE(checked.ok()) << text;
    EXPECT_EQ(checked.value.type, type);
  }
  for (auto text : {"xml", "Json", "JSON-UNTYPED", "TEXT"}) {
    auto form = valid_form();
    form.content_type = text;
    EXPECT_EQ(failing_fields(form), std::vector<std::string>{"contentType"}) << text;
  }
}

TEST(connection_validation, accepts_five_custom_headers_and_rejects_a_sixth) {
  auto form = valid_form();
  form.headers = headers_named({"A", "B", "C", "D", "E"});
  EXPECT_TRUE(failing_fields(form).empty());
  form.headers = headers_named({"A", "B", "C", "D", "E", "F"});
  EXPECT_EQ(failing_fields(form), std::vector<std::string>{"headers"});
}

TEST(connection_validation, allows_510_characters_of_name_and_value_but_not_511) {
  auto form = valid_form();
  form.headers = std::vector<header_form>{{"X-Long", std::string(510 - 6, 'v')}};
  EXPECT_TRUE(failing_fields(form).empty());
  form.headers = std::vector<header_form>{{"X-Long", std::string(511 - 6, 'v')}};
  EXPECT_EQ(failing_fields(form), std::vector<std::string>{"headers[0]"});
}

TEST(connection_validation, rejects_each_forbidden_header_name_in_any_case) {
  for (auto name : {"accept", "HOST", "User-Agent", "content-LENGTH", "Content-type", "eXpEcT",
                    "PROXY-authorization"}) {
    auto form = valid_form();
    form.headers = std::vector<header_form>{{"X-Fine", "1"}, {name, "v"}};
    EXPECT_EQ(failing_fields(form), std::vector<std::string>{"headers[1].name"}) << name;
  }
}

// Once accepted and silently dropped when sent: refused now, so the operator knows.
TEST(connection_validation, rejects_connection_header_fields) {
  for (auto name : {"Transfer-Encoding", "connection", "Keep-Alive", "Upgrade", "TE",
                    "Proxy-Connection"}) {
    auto form = valid_form();
    form.headers = std::vector<header_form>{{name, "v"}};
    EXPECT_EQ(failing_fields(form), std::vector<std::string>{"headers[0].name"}) << name;
  }
}

TEST(connection_validation, refuses_an_address_literal_the_destination_policy_refuses) {
  validation_options options;
  options.check_destination = [](std::string_view host,
                                 std::uint16_t port) -> std::optional<std::string> {
    if (host == "169.254.169.254" && port == 443) return "metadata";
    return std::nullopt;
  };
  auto form = valid_form();
  form.url = "https://169.254.169.254/latest";
  auto checked = validate_connection(form, options);
  ASSERT_EQ(checked.errors.size(), 1u);
  EXPECT_EQ(checked.errors[0].field, "url");
  EXPECT_NE(checked.errors[0].message.find("metadata"), std::string::npos);
  form.url = "https://169.254.169.254:8443/latest";
  EXPECT_TRUE(validate_connection(form, options).ok());
}

TEST(connection_validation, allows_a_custom_authorization_header) {
  auto form = valid_form();
  form.headers = std::vector<header_form>{{"Authorization", "Bearer abc"}};
  EXPECT_TRUE(failing_fields(form).empty());
}

TEST(connection_validation, rejects_header_names_differing_only_in_case) {
  auto form = valid_form();
  form.headers = std::vector<header_form>{{"X-Tenant", "a"}, {"X-Other", "b"}, {"x-TENANT", "c"}};
  EXPECT_EQ(failing_fields(form), std::vector<std::string>{"headers[2].name"});
}

TEST(connection_validation, header_names_must_be_tokens) {
  for (auto name : {"", "X Tenant", "X:Tenant", "X(Tenant)", "Ünicode", "X\tTab"}) {
    auto form = valid_form();
    form.headers = std::vector<header_form>{{name, "v"}};
    EXPECT_EQ(failing_fields(form), std::vector<std::string>{"headers[0].name"}) << name;
  }
  auto form = valid_form();
  form.headers = std::vector<header_form>{{"X-A!#$%&'*+.^_`|~9", "v"}};
  EXPECT_TRUE(failing_fields(form).empty());
}

TEST(connection_validation, header_values_must_be_field_values) {
  using namespace std::string_literals;
  for (auto value : {"a\rb"s, "a\nb"s, "a\0b"s, "a\x01"s, "a\x7f"s, " lead"s, "trail\t"s}) {
    auto form = valid_form();
    form.headers = std::vector<header_form>{{"X-Value", value}};
    EXPECT_EQ(failing_fields(form), std::vector<std::string>{"headers[0].value"});
  }
  for (auto value : {"a\tb c"s, ""s, "caf\xc3\xa9"s, "Bearer a.b.c=="s}) {
    auto form = valid_form();
    form.headers = std::vector<header_form>{{"X-Value", value}};
    EXPECT_TRUE(failing_fields(form).empty()) << value;
  }
}

TEST(connection_validation, a_domain_reference_needs_a_group_and_a_path_of_short_segments) {
  struct bad_ref {
    store::domain_ref ref;
    std::string field;
  };
  for (const auto& [ref, field] : std::vector<bad_ref>{
           {{"", "EMEA"}, "domains[1].group"},
           {{" Region", "EMEA"}, "domains[1].group"},
           {{std::string(21, 'g'), "EMEA"}, "domains[1].group"},
           {{"Region", ""}, "domains[1].name"},
           {{"Region", "EMEA/"}, "domains[1].name"},
           {{"Region", "/EMEA"}, "domains[1].name"},
           {{"Region", "EMEA//France"}, "domains[1].name"},
           {{"Region", "EMEA/ France"}, "domains[1].name"},
           {{"Region", "EMEA/France\n"}, "domains[1].name"},
           {{"Region", "EMEA/" + std::string(21, 'x')}, "domains[1].name"},
       }) {
    auto form = valid_form();
    form.domains = std::vector<store::domain_ref>{{"Region", "EMEA"}, ref};
    EXPECT_EQ(failing_fields(form), std::vector<std::string>{field})
        << ref.group << ":" << ref.name;
  }
}

TEST(connection_validation, accepts_paths_of_twenty_character_segments_and_refuses_duplicates) {
  auto form = valid_form();
  form.domains =
      std::vector<store::domain_ref>{{"Region", "EMEA/France/Paris"},
                                     {std::string(20, 'g'), std::string(20, 'n') + "/Caf\xc3\xa9"}};
  EXPECT_TRUE(failing_fields(form).empty());
  form.domains = std::vector<store::domain_ref>{{"Region", "EMEA"}, {"Region", "EMEA"}};
  EXPECT_EQ(failing_fields(form), std::vector<std::string>{"domains[1]"});
}

TEST(connection_validation, normalizes_a_given_key_to_lower_case) {
  auto form = valid_form();
  form.key = "46AB678CD45DF4A4E4B375EACD096ACC";
  auto checked = validate_connection(form);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked.value.key, "46ab678cd45df4a4e4b375eacd096acc");
  for (auto key : {"", "46ab678cd45df4a4e4b375eacd096ac", "46ab678cd45df4a4e4b375eacd096accc",
                   "46ab678cd45df4a4e4b375eacd096acg"}) {
    form.key = key;
    EXPECT_EQ(failing_fields(form), std::vector<std::string>{"key"}) << key;
  }
}

TEST(connection_validation, max_time_deviation_is_between_1_and_3600_seconds) {
  auto form = valid_form();
  for (std::int64_t good : {1, 60, 3600}) {
    form.max_time_deviation = good;
    EXPECT_TRUE(failing_fields(form).empty()) << good;
  }
  for (std::int64_t bad : {0, -1, 3601}) {
    form.max_time_deviation = bad;
    EXPECT_EQ(failing_fields(form), std::vector<std::string>{"maxTimeDeviation"}) << bad;
  }
}

TEST(connection_validation, as_id_is_printable_without_spaces_and_at_most_128_characters) {
  auto form = valid_form();
  form.as_id = std::string(128, 'a');
  EXPECT_TRUE(failing_fields(form).empty());
  for (auto bad : {std::string(129, 'a'), std::string{""}, std::string{"a b"}, std::string{"a\x01"},
                   std::string{"caf\xc3\xa9"}}) {
    form.as_id = bad;
    EXPECT_EQ(failing_fields(form), std::vector<std::string>{"asId"}) << bad;
  }
}

TEST(connection_validation, name_is_at_most_200_characters_without_control_characters) {
  auto form = valid_form();
  form.name = std::string(200, 'n');
  EXPECT_TRUE(failing_fields(form).empty());
  form.name = std::string(201, 'n');
  EXPECT_EQ(failing_fields(form), std::vector<std::string>{"name"});
  form.name = "two\nlines";
  EXPECT_EQ(failing_fields(form), std::vector<std::string>{"name"});
}

TEST(connection_validation, malformed_fields_are_reported_once_with_the_others) {
  auto form = valid_form();
  form.name.reset();
  form.malformed = {{"name", "must be a string"}};
  form.key = "bad";
  auto checked = validate_connection(form);
  ASSERT_EQ(checked.errors.size(), 2u);
  EXPECT_EQ(checked.errors[0], (field_error{"name", "must be a string"}));
  EXPECT_EQ(checked.errors[1].field, "key");
}

TEST(connection_validation, a_patch_overlays_only_the_fields_it_carries) {
  store::connection stored;
  stored.name = "old";
  stored.url = "https://as.example.com/";
  stored.as_id = "AS";
  stored.headers = {{"X-A", "1"}};
  stored.key = "46ab678cd45df4a4e4b375eacd096acc";
  auto form = form_of(stored);
  connection_form patch;
  patch.name = "new";
  overlay(form, patch);
  auto checked = validate_connection(form);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked.value.name, "new");
  EXPECT_EQ(checked.value.headers, stored.headers);
  EXPECT_TRUE(checked.value.key.empty());
}

TEST(user_validation, needs_a_name_a_known_role_and_domain_paths) {
  user_form form;
  form.role = "root";
  form.domains = std::vector<store::domain_ref>{{"Region", "EMEA"}, {"Region", "EMEA//x"}};
  auto checked = validate_user(form);
  ASSERT_EQ(checked.errors.size(), 3u);
  EXPECT_EQ(checked.errors[0].field, "name");
  EXPECT_EQ(checked.errors[1].field, "role");
  EXPECT_EQ(checked.errors[2].field, "domains[1].name");
  form.name = "tenant";
  form.role = "viewer";
  form.domains = std::vector<store::domain_ref>{{"Region", "EMEA"}};
  checked = validate_user(form);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked.role, store::role::viewer);
}

TEST(user_validation, an_admin_has_no_domain_restrictions) {
  user_form form;
  form.name = "boss";
  form.role = "admin";
  form.domains = std::vector<store::domain_ref>{{"Region", "EMEA"}};
  auto checked = validate_user(form);
  ASSERT_EQ(checked.errors.size(), 1u);
  EXPECT_EQ(checked.errors[0].field, "domains");
}

}  // namespace
}  // namespace tr::api
