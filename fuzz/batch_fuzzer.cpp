// The NS ingress: `POST /v1/reports` and the NDJSON batch splitter of `POST /v1/reports:batch`,
// with a real routing table. Every answer must be one valid JSON object of the documented shape,
// and a batch never accepts more reports than it has lines. A batch read in slices (as the router
// does, a few bytes of lines per loop turn here) gets the same answer and dispatches the same.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/ingress.hpp"
#include "fuzz/fuzz_input.hpp"

namespace {

struct world {
  tr::actors::routing_table routes;
  tr::actors::metrics_registry metrics;
  std::size_t dispatched = 0;
  tr::actors::ingress ingress{routes, metrics,
                              [this](tr::actors::routing_table::slot,
                                     const tr::actors::shared_report&) { ++dispatched; }};
  simdjson::dom::parser json;

  world() {
    std::vector<std::string> ids{"c1", "c2"};
    routes.set_routes(*tr::actors::routing_table::parse_dev_eui("20635F0108000496"), ids);
    routes.intern("c3");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static world w;
  tr::fuzz::input_reader in{data, size};
  auto mode = in.byte();
  std::string_view query;
  switch (mode % 4) {
    case 0: query = ""; break;
    case 1: query = "connection=c3"; break;
    case 2: query = "connection=nope"; break;
    default: query = in.until('\n'); break;
  }
  std::string_view body = in.rest();
  tr::actors::ingress_answer answer;
  w.dispatched = 0;
  bool batch = mode & 4;
  if (batch) {
    w.ingress.handle_batch(query, body, answer);
    std::size_t dispatched = w.dispatched;
    w.dispatched = 0;
    tr::actors::ingress::batch_progress progress;
    tr::actors::ingress_answer sliced;
    std::size_t slice = 1 + (mode >> 3);
    if (w.ingress.begin_batch(query, body, progress, sliced)) {
      bool kept = false;
      while (!w.ingress.continue_batch(progress, slice, sliced)) {
        if (!kept) kept = w.ingress.keep_batch(progress);
      }
    }
    tr::fuzz::check(sliced.status == answer.status && sliced.body == answer.body,
                    "a batch read in slices got another answer");
    tr::fuzz::check(w.dispatched == dispatched, "a batch read in slices dispatched otherwise");
  } else {
    w.ingress.handle_report(query, body, answer);
  }

  simdjson::dom::element root;
  auto err = w.json.parse(answer.body).get(root);
  if (err) std::fprintf(stderr, "answer: %s\n", answer.body.c_str());
  tr::fuzz::check(!err, "the ingress answered with invalid JSON");
  tr::fuzz::check(root.is_object(), "the ingress answer is not an object");
  if (batch && answer.status == 200) {
    std::uint64_t accepted = 0;
    tr::fuzz::check(!root["accepted"].get(accepted), "a batch answer without `accepted`");
    simdjson::dom::array rejected;
    tr::fuzz::check(!root["rejected"].get(rejected), "a batch answer without `rejected`");
    std::size_t lines = 1 + static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
    tr::fuzz::check(accepted + rejected.size() <= lines, "a batch counts more reports than lines");
    tr::fuzz::check(w.dispatched <= 2 * accepted, "a batch dispatched what it did not accept");
  } else if (!batch) {
    tr::fuzz::check(answer.status == 202 || answer.status == 400 || answer.status == 404,
                    "an unexpected status for one report");
    tr::fuzz::check(answer.status != 202 || w.dispatched > 0, "202 without a dispatch");
  }
  return 0;
}
