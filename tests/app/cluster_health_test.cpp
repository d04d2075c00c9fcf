// Connection health in cluster mode, in parts: the published text, the merge of several
// replicas' figures, and the publisher writing only what changed to a real PostgreSQL (the
// whole, through two router processes, is in serve_cluster_test.cpp).
#include <gtest/gtest.h>

#include <thread>

#include "app/cluster_health.hpp"
#include "store/database.hpp"
#include "tests/store/postgres_server.hpp"

using namespace tr::app;
using namespace std::chrono_literals;
using tr::store::testing::postgres_database_scope;

namespace {

constexpr const char* data_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

health_figures sample(std::string state, std::uint64_t delivered, std::size_t latency_bucket) {
  health_figures f;
  f.status.reason = "why " + state;
  f.status.state = std::move(state);
  f.status.limit = 10;
  f.status.in_flight = 2;
  f.status.last_minute = {delivered, 1, 2, 3, 4};
  f.status.last_15_minutes = {delivered * 10, 10, 20, 30, 40};
  f.latencies[latency_bucket] = delivered;
  tr::actors::connection_health::read_percentiles(f.latencies, f.status);
  f.status.last_delivery_at = "2026-12-06T08:00:00.000Z";
  f.status.replicas = {"self"};
  return f;
}

tr::api::failure_entry failure_at(std::string at) {
  return {std::move(at), "http", 503, "Service Unavailable", "busy"};
}

}  // namespace

TEST(cluster_health, a_published_summary_reads_back_as_it_was_written) {
  auto f = sample("throttling", 7, 12);
  f.status.failures = {failure_at("2026-12-06T08:00:01.000Z"),
                       {"2026-12-06T08:00:02.000Z", "timeout", 0, "no answer", ""}};
  // An AS answer that is not UTF-8 still makes a valid text (the store holds only UTF-8).
  f.status.failures[0].body = std::string{"\xff\xfe\"quoted\"\n\x01", 12};
  auto text = encode_health(f);
  auto back = decode_health(text);
  ASSERT_TRUE(back) << text;
  EXPECT_EQ(back->status.state, "throttling");
  EXPECT_EQ(back->status.reason, "why throttling");
  EXPECT_EQ(back->status.limit, 10u);
  EXPECT_EQ(back->status.in_flight, 2);
  EXPECT_EQ(back->status.last_minute.delivered, 7u);
  EXPECT_EQ(back->status.last_15_minutes.paused, 40u);
  EXPECT_EQ(back->latencies, f.latencies);
  EXPECT_EQ(back->status.p50_ms, f.status.p50_ms);
  EXPECT_EQ(back->status.last_delivery_at, f.status.last_delivery_at);
  ASSERT_EQ(back->status.failures.size(), 2u);
  EXPECT_EQ(back->status.failures[0].body, "\xEF\xBF\xBD\xEF\xBF\xBD\"quoted\"\n\x01");
  EXPECT_EQ(back->status.failures[1].kind, "timeout");
  EXPECT_EQ(encode_health(*back), text);
}

TEST(cluster_health, a_text_that_is_not_a_summary_is_refused) {
  EXPECT_FALSE(decode_health(""));
  EXPECT_FALSE(decode_health("{}"));
  EXPECT_FALSE(decode_health(R"({"state":"closed","limit":-1})"));
  auto text = encode_health(sample("closed", 1, 0));
  EXPECT_FALSE(decode_health(text.substr(0, text.size() - 1)));
  auto bad_bucket = text;
  bad_bucket.replace(bad_bucket.find("[[0,1]]"), 7, "[[64,1]]");
  EXPECT_FALSE(decode_health(bad_bucket));
}

TEST(cluster_health, merging_sums_counts_and_limits_and_keeps_the_worst_state) {
  auto merged = sample("closed", 5, 10);
  merge_health(merged, sample("open", 3, 10), "b");
  merge_health(merged, sample("throttling", 2, 10), "c");
  EXPECT_EQ(merged.status.state, "open");
  EXPECT_EQ(merged.status.reason, "why open");  // the reason of the replica in that state
  EXPECT_EQ(merged.status.limit, 30u);
  EXPECT_EQ(merged.status.in_flight, 6);
  EXPECT_EQ(merged.status.last_minute.delivered, 10u);
  EXPECT_EQ(merged.status.last_minute.paused, 12u);
  EXPECT_EQ(merged.status.last_15_minutes.delivered, 100u);
  EXPECT_EQ(merged.status.replicas, (std::vector<std::string>{"self", "b", "c"}));
  merge_health(merged, sample("paused", 0, 0), "d");
  EXPECT_EQ(merged.status.state, "paused") << "the operator's flag wins over a lagging replica";
}

TEST(cluster_health, a_replica_that_cannot_run_the_connection_shows_in_the_merged_status) {
  auto other = sample("closed", 0, 0);
  other.status.problem = "url: scheme 'http' is not allowed";
  auto back = decode_health(encode_health(other));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status.problem, other.status.problem);
  auto merged = sample("closed", 5, 10);
  merge_health(merged, *back, "r4");
  EXPECT_EQ(merged.status.problem, "url: scheme 'http' is not allowed (replica r4)");
  EXPECT_EQ(decode_health(encode_health(sample("closed", 1, 0)))->status.problem, "");
}

TEST(cluster_health, percentiles_are_those_of_all_answers_not_an_average) {
  // 98 fast answers on one replica, 2 slow ones on another: the cluster's p99 is slow.
  auto fast = sample("closed", 98, 0);
  auto slow = sample("closed", 2, 40);
  ASSERT_EQ(fast.status.p99_ms, 0.1);
  merge_health(fast, slow, "b");
  EXPECT_EQ(fast.status.p50_ms, 0.1);
  EXPECT_EQ(fast.status.p99_ms, slow.status.p99_ms);
  EXPECT_GT(*fast.status.p99_ms, 700.0);
}

TEST(cluster_health, the_merged_failures_are_the_newest_twenty_oldest_first) {
  auto a = sample("closed", 1, 0);
  auto b = sample("closed", 1, 0);
  for (int i = 0; i < 20; ++i) {
    char at[40];
    std::snprintf(at, sizeof at, "2026-12-06T08:00:%02d.000Z", 2 * i);  // even seconds
    a.status.failures.push_back(failure_at(at));
    std::snprintf(at, sizeof at, "2026-12-06T08:00:%02d.000Z", 2 * i + 1);  // odd seconds
    b.status.failures.push_back(failure_at(at));
  }
  merge_health(a, b, "b");
  ASSERT_EQ(a.status.failures.size(), 20u);
  EXPECT_EQ(a.status.failures.front().at, "2026-12-06T08:00:20.000Z");
  EXPECT_EQ(a.status.failures.back().at, "2026-12-06T08:00:39.000Z");
  for (std::size_t i = 1; i < a.status.failures.size(); ++i)
    EXPECT_LT(a.status.failures[i - 1].at, a.status.failures[i].at);
  EXPECT_EQ(a.status.last_delivery_at, "2026-12-06T08:00:00.000Z");
}

TEST(cluster_health, a_replica_publishes_only_what_changed_and_the_others_read_it) {
  postgres_database_scope scope;
  tr::store::open_options options{"", data_key, scope.url()};
  auto publishing = tr::store::database::open(options);
  auto reading = tr::store::database::open(options);
  ASSERT_TRUE(publishing) << publishing.error_value().message;
  ASSERT_TRUE(reading) << reading.error_value().message;
  auto* mine = (*publishing)->cluster();
  auto* theirs = (*reading)->cluster();
  ASSERT_TRUE(mine && theirs);
  mine->join("publisher", "test");
  theirs->join("reader", "test");
  // Published rows are kept for connections that exist (housekeeping drops the others).
  tr::store::connection draft;
  draft.name = "c";
  draft.url = "https://as.example/up";
  draft.key = "00112233445566778899aabbccddeeff";
  draft.as_id = "as";
  auto made = (*publishing)->create_connection(draft);
  ASSERT_TRUE(made) << made.error_value().message;

  std::vector<std::pair<std::string, health_figures>> figures = {
      {made->id, sample("closed", 5, 10)}};
  health_publisher publisher{*mine, [&] { return figures; }, 0ms};
  EXPECT_EQ(publisher.publish_once(), 1u);
  EXPECT_EQ(publisher.publish_once(), 0u) << "nothing changed: nothing written";
  EXPECT_EQ(publisher.publish_once(), 0u);
  figures[0].second.status.last_minute.delivered = 6;
  EXPECT_EQ(publisher.publish_once(), 1u);

  // The other replica sees it once the publisher is live (its first heartbeat).
  std::vector<tr::store::published_health> seen;
  for (int i = 0; i < 100 && seen.empty(); ++i) {
    auto found = theirs->health_of(made->id);
    ASSERT_TRUE(found) << found.error_value().message;
    seen = *found;
    if (seen.empty()) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].instance_id, mine->instance_id());
  auto read = decode_health(seen[0].summary);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status.last_minute.delivered, 6u);
  // A replica never reads its own rows back (it has its live figures).
  auto own = mine->health_of(made->id);
  ASSERT_TRUE(own);
  EXPECT_TRUE(own->empty());
}
