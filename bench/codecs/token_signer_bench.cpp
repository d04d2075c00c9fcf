// The uplink signer against a bare SHA-256 of the very same message bytes (bodyElements +
// queryElements + key, pre-concatenated) through a reused EVP_MD_CTX and a once-fetched digest:
// the signer's overhead is the ratio of the two. Also the downlink signer (decoding on the fly)
// and the rest of the per-uplink query work (send time, wire URL). Sweeps payload sizes, which
// is what changes the uplink message length.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <string>

#include "bench/codecs/heap_counter.hpp"
#include "codecs/query.hpp"
#include "codecs/time.hpp"
#include "codecs/token_signer.hpp"

namespace tr::bench {
namespace {

constexpr std::string_view key_text = "f3203a20a2e8dfaf6686b621f56d05e3";

std::string payload_hex(std::int64_t bytes) {
  std::string hex;
  for (std::int64_t i = 0; i < bytes; ++i) hex += "a5";
  return hex;
}

codecs::uplink_query sample_query() {
  return {"20635F0108000496", "17", "TWA_100002167.1111.AS-1-111974", "TWA_100002167.1111.AS",
          "2021-04-07T08:49:51.551+00:00"};
}

std::string message_of(const codecs::token_fields& body, const codecs::uplink_query& q) {
  return std::string(body.customer_id) + std::string(body.dev_eui) + std::string(body.fport) +
         std::string(body.fcnt_up) + std::string(body.payload_hex) +
         "LrnDevEui=" + std::string(q.dev_eui) + "&LrnFPort=" + std::string(q.fport) +
         "&LrnInfos=" + std::string(q.infos) + "&AS_ID=" + std::string(q.as_id) +
         "&Time=" + std::string(q.time) + std::string(key_text);
}

void sign_uplink(benchmark::State& state) {
  std::string payload = payload_hex(state.range(0));
  codecs::token_fields body{
      codecs::report_type::uplink, "100002167", "20635F0108000496", "17", "18", {}, payload};
  codecs::uplink_query query = sample_query();
  codecs::token_signer signer(codecs::signing_key::parse(key_text).value());
  std::array<char, codecs::token_size> token{};
  std::uint64_t before = heap_allocations();
  for (auto _ : state) {
    codecs::error e = signer.sign_uplink(body, query, token);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(token.data());
  }
  report_allocations(state, before);
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * message_of(body, query).size()));
  state.counters["message_bytes"] = static_cast<double>(message_of(body, query).size());
}

/// The baseline: SHA-256 of the same bytes, already contiguous, as lower-case hex.
void bare_sha256(benchmark::State& state) {
  std::string payload = payload_hex(state.range(0));
  codecs::token_fields body{
      codecs::report_type::uplink, "100002167", "20635F0108000496", "17", "18", {}, payload};
  std::string message = message_of(body, sample_query());
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::array<char, 64> hex{};
  std::uint64_t before = heap_allocations();
  for (auto _ : state) {
    unsigned char digest[32];
    unsigned int length = 0;
    EVP_DigestInit_ex2(context, md, nullptr);
    EVP_DigestUpdate(context, message.data(), message.size());
    EVP_DigestFinal_ex(context, digest, &length);
    for (int i = 0; i < 32; ++i) {
      hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
      hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
    }
    benchmark::DoNotOptimize(hex.data());
  }
  report_allocations(state, before);
  EVP_MD_CTX_free(context);
  EVP_MD_free(md);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
  state.counters["message_bytes"] = static_cast<double>(message.size());
}

/// A V3-like downlink query, percent-decoded while hashed.
void sign_downlink(benchmark::State& state) {
  std::string query = "DevEUI=000000000F1D8693&FPort=1&Payload=" + payload_hex(state.range(0)) +
                      "&AS_ID=app1.sample.com&Time=2016-01-11T14%3A28%3A00.333%2B02%3A00";
  codecs::token_signer signer(codecs::signing_key::parse(key_text).value());
  std::array<char, codecs::token_size> token{};
  std::uint64_t before = heap_allocations();
  for (auto _ : state) {
    codecs::error e = signer.sign_downlink(query, token);
    benchmark::DoNotOptimize(e);
  }
  report_allocations(state, before);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * query.size()));
}

/// The send time and the wire URL of an uplink (what a connection actor adds to the signing).
void uplink_url(benchmark::State& state) {
  std::string out;
  codecs::uplink_query query = sample_query();
  char time_text[codecs::time_text_size];
  std::string token(64, 'a');
  codecs::append_uplink_url("https://as.example.com/lora/uplink", query, token, out);
  std::uint64_t before = heap_allocations();
  for (auto _ : state) {
    codecs::format_time(std::chrono::system_clock::now(), time_text);
    query.time = std::string_view(time_text, sizeof time_text);
    out.clear();
    codecs::append_uplink_url("https://as.example.com/lora/uplink", query, token, out);
    benchmark::DoNotOptimize(out.data());
  }
  report_allocations(state, before);
}

BENCHMARK(sign_uplink)->ArgName("payload")->Arg(11)->Arg(51)->Arg(222);
BENCHMARK(bare_sha256)->ArgName("payload")->Arg(11)->Arg(51)->Arg(222);
BENCHMARK(sign_downlink)->ArgName("payload")->Arg(11)->Arg(222);
BENCHMARK(uplink_url);

}  // namespace
}  // namespace tr::bench
