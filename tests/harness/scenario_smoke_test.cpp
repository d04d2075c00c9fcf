// A short run of every load scenario (TR_SCENARIO_SMOKE=1: seconds, small numbers), so the
// harness never rots. Checks that each finishes and writes its JSON result; figures are not
// judged here (speed is measured by the scenarios, not asserted in a test).
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

using tr::test::child_process;
using tr::test::read_file;
using tr::test::temp_dir;

namespace {

void run_scenario(const std::string& name) {
  temp_dir results;
  auto build = std::filesystem::path{TR_BINARY}.parent_path().string();
  child_process run{{"env", "TR_SCENARIO_SMOKE=1", "TR_BUILD_DIR=" + build,
                     "TR_RESULTS_DIR=" + results.path(), "bash",
                     std::string{TR_SOURCE_DIR} + "/bench/harness/scenario.sh", name}};
  auto code = run.wait(std::chrono::seconds{120});
  ASSERT_TRUE(code.has_value()) << name << " did not finish";
  EXPECT_EQ(*code, 0) << run.output() << run.errors();
  auto json = read_file(results.file(name + ".json"));
  ASSERT_FALSE(json.empty()) << run.output() << run.errors();
  EXPECT_NE(json.find("\"scenario\": \"" + name + "\""), std::string::npos) << json;
  child_process jq{{"jq", "-e", ".machine.smoke", results.file(name + ".json")}};
  EXPECT_EQ(jq.wait(std::chrono::seconds{10}).value_or(-1), 0) << json;
}

}  // namespace

TEST(scenario_smoke, throughput) {
  run_scenario("throughput");
}
TEST(scenario_smoke, latency) {
  run_scenario("latency");
}
TEST(scenario_smoke, noisy) {
  run_scenario("noisy");
}
TEST(scenario_smoke, dead) {
  run_scenario("dead");
}
TEST(scenario_smoke, scale) {
  run_scenario("scale");
}
TEST(scenario_smoke, spread) {
  run_scenario("spread");
}
TEST(scenario_smoke, downlink) {
  run_scenario("downlink");
}
// Short mode: three rows (no attack, the HPACK bomb, an AS whose TLS handshake never completes).
TEST(scenario_smoke, faults) {
  run_scenario("faults");
}
// The build-comparison tool: two runs of this build at a low rate, each with its figures, and the
// ratio line of the repetition.
TEST(scenario_smoke, cpu_at_rate) {
  auto build = std::filesystem::path{TR_BINARY}.parent_path().string();
  child_process run{{"env", "TR_BUILD_DIR=" + build, "RATE=2000", "SECONDS_PER_RUN=2", "REPS=1",
                     "bash", std::string{TR_SOURCE_DIR} + "/bench/harness/cpu_at_rate.sh",
                     TR_BINARY, TR_BINARY}};
  auto code = run.wait(std::chrono::seconds{120});
  ASSERT_TRUE(code.has_value()) << "did not finish";
  ASSERT_EQ(*code, 0) << run.output() << run.errors();
  const auto out = run.output();
  EXPECT_EQ(out.find("\"accepted\":0"), std::string::npos) << out;
  std::size_t runs = 0;
  for (auto at = out.find("\"cpu_us\":"); at != std::string::npos;
       at = out.find("\"cpu_us\":", at + 1))
    ++runs;
  EXPECT_EQ(runs, 2u) << out;
  // Each build's CPU over the first's (1x for the first; a run too short for a clock tick has
  // none to compare with).
  EXPECT_NE(out.find("rep 1: tunnel-router "), std::string::npos) << out;
  EXPECT_NE(out.find("), tunnel-router "), std::string::npos) << out;
}
