#include "tests/api/admin_api_fixture.hpp"
#include "tr/version.hpp"

namespace tr::api::testing {
namespace {

using admin_instances = admin_api_test;

TEST_F(admin_instances, a_single_node_lists_itself_with_its_version_and_start) {
  auto listed = call("GET", "/api/v1/instances");
  ASSERT_EQ(listed.status, 200) << listed.body;
  bool cluster = true;
  EXPECT_FALSE(json(listed)["cluster"].get_bool().get(cluster));
  EXPECT_FALSE(cluster);
  simdjson::dom::array instances;
  ASSERT_FALSE(json(listed)["instances"].get_array().get(instances)) << listed.body;
  ASSERT_EQ(instances.size(), 1u);
  auto self = instances.at(0).value_unsafe();
  EXPECT_EQ(std::string_view{self["version"].get_string()}, tr::version_string);
  EXPECT_FALSE(std::string_view{self["host"].get_string()}.empty());
  std::string_view started = self["startedAt"].get_string();
  EXPECT_EQ(started.size(), 20u) << started;  // 2026-12-06T07:33:04Z
  EXPECT_TRUE(started.ends_with('Z')) << started;
  EXPECT_TRUE(self["generation"].error()) << "a single node has no change generation";
}

TEST_F(admin_instances, only_an_admin_lists_the_instances) {
  EXPECT_EQ(call("GET", "/api/v1/instances", "", token_a_).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/instances", "", "").status, 401);
}

}  // namespace
}  // namespace tr::api::testing
