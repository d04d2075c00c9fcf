#include "actors/downlink_verifier.hpp"

#include <gtest/gtest.h>

#include <random>

#include "actors/routing_table.hpp"
#include "codecs/query.hpp"
#include "codecs/token_signer.hpp"

using namespace tr;
using namespace std::chrono_literals;
using actors::downlink_outcome;

namespace {

constexpr const char* v3_key = "46ab678cd45df4a4e4b375Eacd096acc";
constexpr const char* v3_query =
    "DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=app1.sample.com"
    "&Time=2016-01-11T14%3A28%3A00.333%2B02%3A00";
constexpr const char* v3_token = "ea8f31d2299cbece8e180a3012766c4df15fe3cf2e142d9fdf4035b5894ec886";

std::shared_ptr<actors::connection_config> connection(std::string id, std::string as_id,
                                                      codecs::signing_key key) {
  auto c = std::make_shared<actors::connection_config>();
  c->id = std::move(id);
  c->as_id = std::move(as_id);
  c->key = key;
  return c;
}

struct downlink_verifier_test : ::testing::Test {
  actors::downlink_verifier verifier{{}};
  actors::routing_table routes;
  codecs::signing_key key = *codecs::signing_key::parse("00112233445566778899aabbccddeeff");
  codecs::time_point now = *codecs::parse_time("2026-01-01T12:00:00.000+00:00");

  void SetUp() override {
    verifier.set_connections({connection("c1", "as1.example", key)});
    std::vector<std::string> ids{"c1"};
    routes.set_routes(*actors::routing_table::parse_dev_eui("000000000F1D8693"), ids);
  }

  /// A downlink signed with `with` over `query` as given (parameter order kept).
  static std::string signed_query(std::string query, const codecs::signing_key& with) {
    codecs::token_signer signer{with};
    std::array<char, codecs::token_size> token;
    EXPECT_TRUE(signer.sign_downlink(query, token).ok());
    return query + "&Token=" + std::string{token.data(), token.size()};
  }

  std::string fresh(
      std::string params = "DevEUI=000000000F1D8693&FPort=2&Payload=0a0b&AS_ID=as1.example") {
    return signed_query(params + "&Time=2026-01-01T12%3A00%3A10.000%2B00%3A00", key);
  }
};

}  // namespace

TEST(downlink_verifier_v3, accepts_the_published_vector) {
  actors::downlink_verifier verifier{{}};
  verifier.set_connections(
      {connection("v3", "app1.sample.com", *codecs::signing_key::verbatim(v3_key))});
  actors::routing_table routes;
  std::vector<std::string> ids{"v3"};
  routes.set_routes(*actors::routing_table::parse_dev_eui("000000000F1D8693"), ids);
  auto now = *codecs::parse_time("2016-01-11T14:28:10.000+02:00");
  auto v = verifier.verify(std::string{v3_query} + "&Token=" + v3_token, routes, now);
  EXPECT_EQ(v.outcome, downlink_outcome::accepted) << v.reason;
  EXPECT_EQ(v.fields.time, "2016-01-11T14:28:00.333+02:00");
}

TEST_F(downlink_verifier_test, accepts_a_fresh_downlink_in_any_parameter_order) {
  const char* orders[] = {
      "DevEUI=000000000F1D8693&FPort=2&Payload=0a0b&AS_ID=as1.example&Time=2026-01-01T12%3A00%3A01."
      "000%2B00%3A00",
      "AS_ID=as1.example&Time=2026-01-01T12%3A00%3A02.000%2B00%3A00&Payload=0a0b&FPort=2&DevEUI="
      "000000000F1D8693",
      "FPort=2&DevEUI=000000000F1D8693&Time=2026-01-01T12:00:03.000+00:00&AS_ID=as1.example&"
      "Payload=0a0b&Confirmed=1",
  };
  for (auto* q : orders) {
    auto v = verifier.verify(signed_query(q, key), routes, now);
    EXPECT_EQ(v.outcome, downlink_outcome::accepted) << q << ": " << v.reason;
    EXPECT_EQ(v.connection->id, "c1");
  }
}

TEST_F(downlink_verifier_test, refuses_malformed_parameters_with_400) {
  const char* bad[] = {
      "DevEUI=000000000F1D869&FPort=2&Payload=00&AS_ID=as1.example",     // short DevEUI
      "DevEUI=000000000F1D8693&FPort=0&Payload=00&AS_ID=as1.example",    // FPort 0
      "DevEUI=000000000F1D8693&FPort=225&Payload=00&AS_ID=as1.example",  // FPort 225
      "DevEUI=000000000F1D8693&FPort=2&Payload=0g&AS_ID=as1.example",    // not hex
      "DevEUI=000000000F1D8693&FPort=2&Payload=000&AS_ID=as1.example",   // odd length
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example&Confirmed=2",
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example&FlushDownlinkQueue=yes",
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example&CorrelationID=12",
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example&ValidityTime=soon",
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example&FCntDn=-1",
      "DevEUI=000000000F1D8693&DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example",
      // The same parameter under another encoding is repeated too (it was once concatenated).
      "DevEUI=000000000F1D&Dev%45UI=8693&FPort=2&Payload=00&AS_ID=as1.example",
      "FPort=2&Payload=00&AS_ID=as1.example",               // no DevEUI
      "DevEUI=000000000F1D8693&FPort=2&AS_ID=as1.example",  // no Payload
  };
  for (auto* q : bad) {
    auto v = verifier.verify(fresh(q), routes, now);
    EXPECT_EQ(v.outcome, downlink_outcome::malformed) << q;
    EXPECT_EQ(v.status, 400) << q;
  }
  EXPECT_EQ(verifier
                .verify("DevEUI=000000000F1D8693&FPort=2&Payload=%G0&AS_ID=as1.example"
                        "&Time=2026-01-01T12%3A00%3A10.000%2B00%3A00&Token=" +
                            std::string(64, 'a'),
                        routes, now)
                .outcome,
            downlink_outcome::malformed);  // bad percent-escape
  EXPECT_EQ(verifier
                .verify("DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example"
                        "&Time=2026-01-01T12%3A00%3A10.000%2B00%3A00",
                        routes, now)
                .outcome,
            downlink_outcome::malformed);  // no Token
}

TEST_F(downlink_verifier_test, refuses_an_unknown_as_id) {
  auto v =
      verifier.verify(fresh("DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=other"), routes, now);
  EXPECT_EQ(v.outcome, downlink_outcome::unknown_as_id);
  EXPECT_EQ(v.status, 403);
}

TEST_F(downlink_verifier_test, refuses_a_token_signed_with_another_key) {
  auto other = *codecs::signing_key::parse("ffeeddccbbaa99887766554433221100");
  auto q = signed_query(
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example"
      "&Time=2026-01-01T12%3A00%3A10.000%2B00%3A00",
      other);
  auto v = verifier.verify(q, routes, now);
  EXPECT_EQ(v.outcome, downlink_outcome::bad_token);
  EXPECT_EQ(v.status, 401);
}

TEST_F(downlink_verifier_test, refuses_a_parameter_changed_after_signing) {
  auto q = fresh();
  q.replace(q.find("FPort=2"), 7, "FPort=3");
  EXPECT_EQ(verifier.verify(q, routes, now).outcome, downlink_outcome::bad_token);
}

TEST_F(downlink_verifier_test, refuses_a_time_outside_the_deviation_either_way) {
  auto early = signed_query(
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example"
      "&Time=2026-01-01T11%3A58%3A59.000%2B00%3A00",
      key);
  auto late = signed_query(
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example"
      "&Time=2026-01-01T12%3A01%3A01.000%2B00%3A00",
      key);
  EXPECT_EQ(verifier.verify(early, routes, now).outcome, downlink_outcome::stale_time);
  EXPECT_EQ(verifier.verify(late, routes, now).outcome, downlink_outcome::stale_time);
  // A well-formed time far away is stale, not malformed.
  auto far = signed_query(
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example"
      "&Time=2999-01-01T12%3A00%3A00.000%2B00%3A00",
      key);
  EXPECT_EQ(verifier.verify(far, routes, now).outcome, downlink_outcome::stale_time);
  auto edge = signed_query(
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example"
      "&Time=2026-01-01T13%3A00%3A59.000%2B01%3A00",
      key);
  EXPECT_EQ(verifier.verify(edge, routes, now).outcome, downlink_outcome::accepted);
}

TEST_F(downlink_verifier_test, an_empty_payload_is_a_frame_without_data) {
  auto v = verifier.verify(fresh("DevEUI=000000000F1D8693&FPort=2&Payload=&AS_ID=as1.example"),
                           routes, now);
  EXPECT_EQ(v.outcome, downlink_outcome::accepted) << v.reason;
  auto missing =
      verifier.verify(fresh("DevEUI=000000000F1D8693&FPort=2&AS_ID=as1.example"), routes, now);
  EXPECT_EQ(missing.reason, "malformed: missing Payload");
}

TEST_F(downlink_verifier_test, a_released_downlink_may_be_sent_again) {
  auto q = fresh();
  auto first = verifier.verify(q, routes, now);
  ASSERT_EQ(first.outcome, downlink_outcome::accepted);
  EXPECT_EQ(verifier.verify(q, routes, now).outcome, downlink_outcome::replay);
  verifier.release(first);  // the NS did not take it
  EXPECT_EQ(verifier.verify(q, routes, now + 1s).outcome, downlink_outcome::accepted);
  EXPECT_EQ(verifier.verify(q, routes, now + 2s).outcome, downlink_outcome::replay);
}

TEST_F(downlink_verifier_test, refuses_a_replay) {
  auto q = fresh();
  EXPECT_EQ(verifier.verify(q, routes, now).outcome, downlink_outcome::accepted);
  auto v = verifier.verify(q, routes, now + 1s);
  EXPECT_EQ(v.outcome, downlink_outcome::replay);
  EXPECT_EQ(v.status, 409);
}

TEST_F(downlink_verifier_test, a_full_replay_cache_answers_503_counted_as_such_and_spends_nothing) {
  actors::downlink_verifier small{{10, 20, 1}};
  small.set_connections({connection("c1", "as1.example", key)});
  EXPECT_EQ(small.verify(fresh(), routes, now).outcome, downlink_outcome::accepted);
  auto other = fresh("DevEUI=000000000F1D8693&FPort=3&Payload=0a0b&AS_ID=as1.example");
  auto v = small.verify(other, routes, now);
  EXPECT_EQ(v.outcome, downlink_outcome::replay_cache_full);
  EXPECT_EQ(v.status, 503);
  // Not remembered: sent again, it is refused for room again, not as a replay.
  EXPECT_EQ(small.verify(other, routes, now + 1s).outcome, downlink_outcome::replay_cache_full);
}

TEST_F(downlink_verifier_test, refuses_a_device_not_routed_to_that_as) {
  auto v = verifier.verify(fresh("DevEUI=0000000000000001&FPort=2&Payload=00&AS_ID=as1.example"),
                           routes, now);
  EXPECT_EQ(v.outcome, downlink_outcome::not_routed);
  EXPECT_EQ(v.status, 403);
}

TEST_F(downlink_verifier_test, limits_the_rate_per_connection) {
  int accepted = 0, limited = 0;
  for (int i = 0; i < 30; ++i) {
    auto q = signed_query("DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example&FCntDn=" +
                              std::to_string(i) + "&Time=2026-01-01T12%3A00%3A10.000%2B00%3A00",
                          key);
    auto v = verifier.verify(q, routes, now);
    if (v.outcome == downlink_outcome::accepted) ++accepted;
    if (v.outcome == downlink_outcome::rate_limited) {
      ++limited;
      EXPECT_EQ(v.status, 429);
    }
  }
  EXPECT_GE(accepted, 20);
  EXPECT_LE(accepted, 21);
  EXPECT_EQ(accepted + limited, 30);
}

TEST_F(downlink_verifier_test, a_new_key_replaces_the_old_one_at_once) {
  auto renewed = *codecs::signing_key::parse("0123456789abcdef0123456789abcdef");
  verifier.set_connections({connection("c1", "as1.example", renewed)});
  EXPECT_EQ(verifier.verify(fresh(), routes, now).outcome, downlink_outcome::bad_token);
  auto q = signed_query(
      "DevEUI=000000000F1D8693&FPort=2&Payload=00&AS_ID=as1.example"
      "&Time=2026-01-01T12%3A00%3A10.000%2B00%3A00",
      renewed);
  EXPECT_EQ(verifier.verify(q, routes, now).outcome, downlink_outcome::accepted);
}

TEST_F(downlink_verifier_test, survives_ten_thousand_random_query_strings) {
  std::mt19937 rng{12345};
  const std::string alphabet =
      "DevEUIFPortPayloadASIDTimeToken=&%+0123456789abcdefABCDEF:._-?\x01\xff ";
  for (int i = 0; i < 10000; ++i) {
    std::string q;
    auto n = rng() % 200;
    for (unsigned j = 0; j < n; ++j) q += alphabet[rng() % alphabet.size()];
    auto v = verifier.verify(q, routes, now);
    EXPECT_NE(v.outcome, downlink_outcome::accepted);
  }
}

TEST_F(downlink_verifier_test, a_refused_downlink_does_not_spend_its_token) {
  auto q = fresh("DevEUI=0000000000000002&FPort=2&Payload=00&AS_ID=as1.example");
  EXPECT_EQ(verifier.verify(q, routes, now).outcome, downlink_outcome::not_routed);
  std::vector<std::string> ids{"c1"};
  routes.set_routes(*actors::routing_table::parse_dev_eui("0000000000000002"), ids);
  EXPECT_EQ(verifier.verify(q, routes, now).outcome, downlink_outcome::accepted);
  EXPECT_EQ(verifier.verify(q, routes, now).outcome, downlink_outcome::replay);
}
