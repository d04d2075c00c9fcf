// The downlink verifier on raw queries from an AS. One input is a sequence of downlinks, one per
// line, each led by a control byte: bit 0 signs the line with a connection's key (so the
// fuzzer gets past the token to the time, replay, routing and rate checks), bit 1 releases an
// acceptance as a failed NS delivery would. Every verdict must be one of the documented pairs
// of outcome and status, and a token is accepted at most once unless released.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "actors/downlink_verifier.hpp"
#include "actors/routing_table.hpp"
#include "codecs/token_signer.hpp"
#include "fuzz/fuzz_input.hpp"

using namespace tr;
using tr::fuzz::check;

namespace {

std::shared_ptr<actors::connection_config> connection(std::string id, std::string as_id,
                                                      std::string_view key) {
  auto c = std::make_shared<actors::connection_config>();
  c->id = std::move(id);
  c->as_id = std::move(as_id);
  c->key = *codecs::signing_key::parse(key);
  return c;
}

int status_of(actors::downlink_outcome outcome) {
  using actors::downlink_outcome;
  switch (outcome) {
    case downlink_outcome::accepted: return 200;
    case downlink_outcome::malformed: return 400;
    case downlink_outcome::unknown_as_id: return 403;
    case downlink_outcome::bad_token: return 401;
    case downlink_outcome::stale_time: return 403;
    case downlink_outcome::replay: return 409;
    case downlink_outcome::not_routed: return 403;
    default: return -1;
  }
}

constexpr std::string_view key_a = "00112233445566778899aabbccddeeff";
constexpr std::string_view key_b = "ffeeddccbbaa99887766554433221100";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto now = codecs::parse_time("2026-01-01T12:00:00.000+00:00").value();
  static actors::routing_table routes = [] {
    actors::routing_table r;
    std::vector<std::string> ids{"c1", "c3"};
    r.set_routes(*actors::routing_table::parse_dev_eui("000000000F1D8693"), ids);
    return r;
  }();
  static codecs::token_signer signer{*codecs::signing_key::parse(key_a)};

  actors::downlink_verifier verifier{{.rate_per_s = 10, .burst = 3, .replay_capacity = 8}};
  verifier.set_connections({connection("c1", "as1.example", key_a),
                            connection("c2", "as1.example", key_b),
                            connection("c3", "as3.example", key_a)});
  std::set<std::string> accepted;
  tr::fuzz::input_reader in{data, size};
  while (!in.empty()) {
    auto control = in.byte();
    std::string query{in.until('\n')};
    if (control & 1) {
      std::array<char, codecs::token_size> token;
      if (signer.sign_downlink(query, token).ok())
        query += "&Token=" + std::string{token.data(), token.size()};
    }
    auto verdict = verifier.verify(query, routes, now);
    if (verdict.outcome == actors::downlink_outcome::rate_limited) {
      check(verdict.status == 429 || verdict.status == 503, "rate_limited with a wrong status");
    } else {
      check(verdict.status == status_of(verdict.outcome), "an outcome with a wrong status");
    }
    if (verdict.outcome != actors::downlink_outcome::accepted) continue;
    check(verdict.connection != nullptr, "accepted without a connection");
    check(verdict.fields.as_id == verdict.connection->as_id, "accepted for another AS_ID");
    check(accepted.insert(verdict.fields.token).second, "a token accepted twice");
    if (control & 2) {
      verifier.release(verdict);
      accepted.erase(verdict.fields.token);
    }
  }
  return 0;
}
