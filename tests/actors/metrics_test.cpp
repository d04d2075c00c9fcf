#include "actors/metrics.hpp"

#include <gtest/gtest.h>

using namespace tr::actors;
using namespace std::chrono_literals;

namespace {
bool contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}
}  // namespace

TEST(metrics_registry, renders_uplinks_by_connection_and_outcome) {
  metrics_registry r;
  auto m = r.connection("c1");
  m->count(uplink_outcome::delivered);
  m->count(uplink_outcome::delivered);
  m->count(uplink_outcome::shed);
  auto text = r.render();
  EXPECT_TRUE(
      contains(text, "tunnel_router_uplinks_total{connection=\"c1\",outcome=\"delivered\"} 2\n"));
  EXPECT_TRUE(
      contains(text, "tunnel_router_uplinks_total{connection=\"c1\",outcome=\"shed\"} 1\n"));
  EXPECT_TRUE(
      contains(text, "tunnel_router_uplinks_total{connection=\"c1\",outcome=\"timeout\"} 0\n"));
  EXPECT_TRUE(contains(text, "# TYPE tunnel_router_uplinks_total counter\n"));
}

TEST(metrics_registry, the_same_id_gives_the_same_figures) {
  metrics_registry r;
  r.connection("c1")->count(uplink_outcome::failed);
  EXPECT_EQ(r.connection("c1")->total(uplink_outcome::failed), 1u);
}

TEST(metrics_registry, renders_the_fuse_state_gauge) {
  metrics_registry r;
  r.connection("c2")->fuse_state = 2;
  EXPECT_TRUE(contains(r.render(), "tunnel_router_fuse_state{connection=\"c2\"} 2\n"));
}

TEST(metrics_registry, a_removed_connection_disappears) {
  metrics_registry r;
  r.connection("gone");
  r.remove("gone");
  EXPECT_FALSE(contains(r.render(), "gone"));
}

TEST(metrics_registry, renders_every_downlink_outcome) {
  metrics_registry r;
  r.count(downlink_outcome::replay);
  auto text = r.render();
  EXPECT_TRUE(contains(text, "tunnel_router_downlinks_total{outcome=\"replay\"} 1\n"));
  EXPECT_TRUE(contains(text, "tunnel_router_downlinks_total{outcome=\"accepted\"} 0\n"));
}

TEST(latency_histogram, buckets_are_cumulative_and_end_with_inf) {
  metrics_registry r;
  auto m = r.connection("c3");
  m->latency.observe(300us);  // <= 0.0005
  m->latency.observe(2ms);    // <= 0.0025
  m->latency.observe(20s);    // +Inf
  auto text = r.render();
  const std::string base = "tunnel_router_uplink_latency_seconds_bucket{connection=\"c3\",le=";
  EXPECT_TRUE(contains(text, base + "\"0.0005\"} 1\n"));
  EXPECT_TRUE(contains(text, base + "\"0.001\"} 1\n"));
  EXPECT_TRUE(contains(text, base + "\"0.0025\"} 2\n"));
  EXPECT_TRUE(contains(text, base + "\"10\"} 2\n"));
  EXPECT_TRUE(contains(text, base + "\"+Inf\"} 3\n"));
  EXPECT_TRUE(contains(text, "tunnel_router_uplink_latency_seconds_count{connection=\"c3\"} 3\n"));
}

TEST(metrics_registry, label_values_are_escaped) {
  metrics_registry r;
  r.connection("a\"b");
  EXPECT_TRUE(contains(r.render(), "connection=\"a\\\"b\""));
}

namespace tr::actors {
namespace {

TEST(shard_metrics, renders_busy_time_and_a_cumulative_turn_histogram_per_shard) {
  std::vector<transport::shard_load> shards(2);
  shards[0].busy_ns_total = 1'500'000'000;
  shards[0].turn_counts[0] = 7;      // <= 50 µs
  shards[0].turn_counts[4] = 2;      // <= 1 ms
  shards[0].turn_counts.back() = 1;  // above 50 ms
  shards[0].turn_weighted_ns_total = 60'000'000;
  shards[1].exceptions_total = 3;
  shards[1].handed_off_total = 4;
  std::string out;
  render_shard_metrics(out, shards);
  EXPECT_TRUE(contains(out, "tunnel_router_shard_busy_seconds_total{shard=\"0\"} 1.5\n")) << out;
  EXPECT_TRUE(contains(out, "tunnel_router_shard_exceptions_total{shard=\"1\"} 3\n"));
  EXPECT_TRUE(contains(out, "tunnel_router_shard_connections_handed_off_total{shard=\"0\"} 0\n"));
  EXPECT_TRUE(contains(out, "tunnel_router_shard_connections_handed_off_total{shard=\"1\"} 4\n"));
  EXPECT_TRUE(contains(out, "# TYPE tunnel_router_shard_connections_handed_off_total counter\n"));
  const std::string bucket = "tunnel_router_shard_turn_seconds_bucket{shard=\"0\",le=";
  EXPECT_TRUE(contains(out, bucket + "\"5e-05\"} 7\n"));
  EXPECT_TRUE(contains(out, bucket + "\"0.001\"} 9\n"));
  EXPECT_TRUE(contains(out, bucket + "\"0.05\"} 9\n"));
  EXPECT_TRUE(contains(out, bucket + "\"+Inf\"} 10\n"));
  EXPECT_TRUE(contains(out, "tunnel_router_shard_turn_seconds_count{shard=\"0\"} 10\n"));
  EXPECT_TRUE(contains(out, "tunnel_router_shard_turn_seconds_sum{shard=\"0\"} 0.06\n"));
  EXPECT_TRUE(contains(out, "tunnel_router_shard_turn_seconds_count{shard=\"1\"} 0\n"));
}

}  // namespace
}  // namespace tr::actors
