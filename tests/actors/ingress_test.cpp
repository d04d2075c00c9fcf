#include "actors/ingress.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <vector>

using namespace tr::actors;

namespace {

constexpr const char* uplink =
    R"({"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":17,"FCntUp":18,"payload_hex":"00","CustomerID":"1"}})";

struct ingress_test : ::testing::Test {
  routing_table routes;
  metrics_registry metrics;
  std::vector<std::pair<std::string, std::string>> dispatched;  // (connection, DevEUI)
  ingress in{routes, metrics,
             [this](routing_table::slot s, const shared_report& r) {
               dispatched.emplace_back(routes.id_of(s), std::string{r->fields().dev_eui});
             }};
  ingress_answer answer;

  void SetUp() override {
    std::vector<std::string> ids{"c1", "c2"};
    routes.set_routes(*routing_table::parse_dev_eui("20635F0108000496"), ids);
    routes.intern("c3");
  }
};

}  // namespace

TEST_F(ingress_test, routes_a_report_to_every_connection_of_its_device) {
  in.handle_report("", uplink, answer);
  EXPECT_EQ(answer.status, 202);
  EXPECT_EQ(answer.body, R"({"routed":2})");
  ASSERT_EQ(dispatched.size(), 2u);
  EXPECT_EQ(dispatched[0].first, "c1");
  EXPECT_EQ(dispatched[1].first, "c2");
  EXPECT_EQ(metrics.total(report_outcome::routed), 1u);
}

TEST_F(ingress_test, each_report_is_parsed_once_and_shared_intact_with_every_target) {
  std::vector<std::string> c3{"c3"};
  routes.set_routes(*routing_table::parse_dev_eui("20635F0108000497"), c3);
  std::vector<std::pair<std::string, shared_report>> held;  // as posts to other shards keep them
  ingress keeping{routes, metrics, [&](routing_table::slot s, const shared_report& r) {
                    held.emplace_back(routes.id_of(s), r);
                  }};
  std::string second = R"({"DevEUI_uplink":{"DevEUI":"20635F0108000497","FPort":1}})";
  keeping.handle_batch("", std::string{uplink} + "\n" + second + "\n", answer);
  EXPECT_EQ(answer.status, 200);
  ASSERT_EQ(held.size(), 3u);
  EXPECT_EQ(held[0].first, "c1");
  EXPECT_EQ(held[1].first, "c2");
  EXPECT_EQ(held[2].first, "c3");
  EXPECT_EQ(held[0].second, held[1].second);  // one value for both targets
  EXPECT_NE(held[0].second, held[2].second);  // still held: the next line went elsewhere
  EXPECT_EQ(held[0].second->fields().dev_eui, "20635F0108000496");
  EXPECT_EQ(held[0].second->source(), uplink);
  EXPECT_EQ(held[2].second->source(), second);
  EXPECT_EQ(keeping.reports_made(), 2u);

  held.clear();  // the targets let go: the next reports reuse what was made
  for (int i = 0; i < 10; ++i) {
    keeping.handle_report("", uplink, answer);
    held.clear();
  }
  EXPECT_EQ(keeping.reports_made(), 2u);
}

TEST_F(ingress_test, routes_to_the_named_connection_alone) {
  in.handle_report("connection=c3", uplink, answer);
  EXPECT_EQ(answer.status, 202);
  ASSERT_EQ(dispatched.size(), 1u);
  EXPECT_EQ(dispatched[0].first, "c3");
}

TEST_F(ingress_test, an_unknown_connection_is_404) {
  in.handle_report("connection=nope", uplink, answer);
  EXPECT_EQ(answer.status, 404);
  EXPECT_TRUE(dispatched.empty());
}

TEST_F(ingress_test, a_device_without_routes_is_404) {
  in.handle_report("", R"({"DevEUI_uplink":{"DevEUI":"0000000000000001"}})", answer);
  EXPECT_EQ(answer.status, 404);
  EXPECT_NE(answer.body.find("0000000000000001"), std::string::npos);
  EXPECT_EQ(metrics.total(report_outcome::unrouted), 1u);
}

TEST_F(ingress_test, a_malformed_report_is_400_with_the_reason) {
  in.handle_report("", R"({"DevEUI_uplink":{"DevEUI":12}})", answer);
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("DevEUI"), std::string::npos) << answer.body;
  in.handle_report("", R"({"DevEUI_uplink":)", answer);
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(metrics.total(report_outcome::malformed), 2u);
  EXPECT_TRUE(dispatched.empty());
}

TEST_F(ingress_test, a_body_that_is_not_json_is_told_apart_from_another_json_value) {
  for (const char* body : {"nope", "DevEUI=1", "<DevEUI_uplink/>", "nulls", "-", "1abc"}) {
    in.handle_report("", body, answer);
    EXPECT_EQ(answer.status, 400) << body;
    EXPECT_NE(answer.body.find("malformed JSON: not a JSON document"), std::string::npos)
        << body << ": " << answer.body;
  }
  for (const char* body : {"null", "true", "[1]", "\"DevEUI_uplink\"", "-1"}) {
    in.handle_report("", body, answer);
    EXPECT_EQ(answer.status, 400) << body;
    EXPECT_NE(answer.body.find("root must be a JSON object"), std::string::npos)
        << body << ": " << answer.body;
  }
}

TEST_F(ingress_test, a_batch_accepts_good_lines_and_lists_the_bad_ones) {
  std::string batch = std::string{uplink} + "\n\n{broken\n" + uplink + "\r\n" +
                      R"({"DevEUI_uplink":{"DevEUI":"0000000000000001"}})";
  in.handle_batch("", batch, answer);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body.rfind(R"({"accepted":2,"rejected":[{"line":3,"error":)", 0), 0u)
      << answer.body;
  EXPECT_NE(answer.body.find(R"({"line":5,"error":"no route for DevEUI 0000000000000001"})"),
            std::string::npos)
      << answer.body;
  EXPECT_EQ(dispatched.size(), 4u);
}

TEST_F(ingress_test, answers_valid_json_when_the_connection_name_is_not_utf8) {
  in.handle_report("connection=%9D%DA", uplink, answer);
  EXPECT_EQ(answer.status, 404);
  EXPECT_TRUE(simdjson::validate_utf8(answer.body.data(), answer.body.size())) << answer.body;
  EXPECT_EQ(answer.body, "{\"error\":\"no connection \xEF\xBF\xBD\xEF\xBF\xBD\"}");

  in.handle_batch("", std::string{"{\"DevEUI_uplink\":{\"DevEUI\":\"\xff\"}}"}, answer);
  EXPECT_EQ(answer.status, 200);
  EXPECT_TRUE(simdjson::validate_utf8(answer.body.data(), answer.body.size())) << answer.body;
}

TEST_F(ingress_test, a_batch_read_in_slices_gets_the_answer_of_one_go) {
  std::string batch;
  for (int i = 0; i < 300; ++i) {
    batch += i % 3 == 0 ? std::string{uplink} : "{\"broken\":" + std::to_string(i);
    batch += i % 7 == 0 ? "\r\n\n" : "\n";
  }
  in.handle_batch("connection=c3", batch, answer);
  ingress_answer whole = answer;
  auto dispatched_whole = dispatched;
  dispatched.clear();

  ingress::batch_progress progress;
  ingress_answer sliced;
  ASSERT_TRUE(in.begin_batch("connection=c3", batch, progress, sliced));
  int slices = 1;
  bool done = in.continue_batch(progress, 100, sliced);
  ASSERT_TRUE(in.keep_batch(progress));
  batch.assign(batch.size(), 'x');  // the request's body is gone; the kept copy is read
  while (!done) {
    done = in.continue_batch(progress, 100, sliced);
    ++slices;
  }
  EXPECT_GT(slices, 100);
  EXPECT_EQ(sliced.status, whole.status);
  EXPECT_EQ(sliced.body, whole.body);
  EXPECT_EQ(dispatched, dispatched_whole);
  EXPECT_NE(whole.body.find("\"rejectedCount\":200"), std::string::npos) << whole.body;
}

TEST_F(ingress_test, batches_kept_between_slices_are_bounded_per_shard) {
  std::string big(ingress::max_sliced_bytes / 2 + 1, ' ');
  ingress::batch_progress first, second;
  ASSERT_TRUE(in.begin_batch("", big, first, answer));
  ASSERT_TRUE(in.begin_batch("", big, second, answer));
  EXPECT_TRUE(in.keep_batch(first));
  EXPECT_FALSE(in.keep_batch(second)) << "past the bound the caller does it in one go";
  while (!in.continue_batch(first, 1 << 20, answer)) {
  }
  EXPECT_TRUE(in.keep_batch(second)) << "a finished batch gives its share back";
}

TEST_F(ingress_test, a_batch_kept_without_a_copy_reads_the_callers_body) {
  std::string batch = std::string{uplink} + "\n" + uplink + "\n";
  ingress::batch_progress progress;
  ASSERT_TRUE(in.begin_batch("", batch, progress, answer));
  ASSERT_FALSE(in.continue_batch(progress, 1, answer));
  ASSERT_TRUE(in.keep_batch(progress, false));
  EXPECT_TRUE(progress.body.empty()) << "nothing copied";
  EXPECT_EQ(progress.rest.data(), batch.data() + std::string{uplink}.size() + 1);
  ASSERT_TRUE(in.continue_batch(progress, 1 << 20, answer));
  EXPECT_EQ(answer.body, R"({"accepted":2,"rejected":[],"rejectedCount":0})");
}
