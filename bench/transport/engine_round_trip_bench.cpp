// Engine cost per request: an HTTP client engine and the server engine joined in memory (no
// sockets, no syscalls), plain and over TLS. Each iteration submits `batch` POSTs of `body`
// bytes, moves bytes both ways until every completion has run, and the server answers each
// request at once with 202 and a short JSON body. The "ns_per_request" counter is the whole
// round trip: client framing, server parsing and dispatch, the answer, the client's parsing and
// completion (and, over TLS, encryption and decryption on both sides).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "transport/client_connection.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/tls_connection.hpp"
#include "transport/tls_context.hpp"

namespace tr::transport {
namespace {

// A self-signed certificate for "localhost", made once with the openssl command.
struct bench_certificate {
  bench_certificate() {
    char pattern[] = "/tmp/tr-bench-XXXXXX";
    dir = mkdtemp(pattern);
    std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                          "-nodes -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost "
                          "-keyout " + dir + "/key.pem -out " + dir + "/cert.pem 2>/dev/null";
    ok = std::system(command.c_str()) == 0;
  }
  ~bench_certificate() { std::filesystem::remove_all(dir); }
  std::string dir;
  bool ok = false;
};

const bench_certificate& certificate() {
  static bench_certificate instance;
  return instance;
}

void answer_at_once(http_server_connection& connection, const request& req) {
  static constexpr header fields[] = {{"content-type", "application/json"}};
  connection.respond(req.stream, 202, fields, std::string_view{"{\"routed\":1}"});
}

// Moves bytes both ways until neither side has anything to say.
void exchange(connection_engine& a, connection_engine& b) {
  for (;;) {
    bool moved = false;
    for (auto out = a.pending_output(); !out.empty(); out = a.pending_output()) {
      b.receive(out);
      a.consume_output(out.size());
      moved = true;
    }
    for (auto out = b.pending_output(); !out.empty(); out = b.pending_output()) {
      a.receive(out);
      b.consume_output(out.size());
      moved = true;
    }
    if (!moved) return;
  }
}

struct connected_pair {
  std::unique_ptr<connection_engine> client_side;
  std::unique_ptr<connection_engine> server_side;
  client_connection* client = nullptr;
};

connected_pair make_pair(bool tls, std::string_view protocol) {
  server_options server_opts;
  client_options client_opts;
  client_opts.max_concurrent_streams = 256;
  connected_pair pair;
  if (!tls) {
    auto client = make_client_connection(protocol, client_opts);
    pair.client = client.get();
    pair.client_side = std::move(client);
    pair.server_side = std::make_unique<http_server_connection>(server_opts, answer_at_once);
    exchange(*pair.client_side, *pair.server_side);
    return pair;
  }
  const auto& cert = certificate();
  auto server_context =
      tls_context::server({cert.dir + "/cert.pem", cert.dir + "/key.pem"});
  tls_client_config client_config;
  client_config.ca_file = cert.dir + "/cert.pem";
  client_config.use_system_trust_store = false;
  client_config.alpn = {std::string{protocol}};
  auto client_context = tls_context::client(client_config);
  if (!server_context || !client_context) return pair;
  auto client = std::make_unique<tls_connection<client_connection>>(
      std::move(*client_context->connect("localhost")),
      [client_opts](std::string_view alpn) { return make_client_connection(alpn, client_opts); });
  auto* client_raw = client.get();
  pair.client_side = std::move(client);
  pair.server_side = std::make_unique<tls_connection<http_server_connection>>(
      std::move(*server_context->accept()), [server_opts](std::string_view alpn) {
        return std::make_unique<http_server_connection>(server_opts, answer_at_once,
                                                        protocol_for_alpn(alpn));
      });
  exchange(*pair.client_side, *pair.server_side);
  pair.client = client_raw->engine();
  return pair;
}

void run_round_trips(benchmark::State& state, bool tls, std::string_view protocol) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const std::string body(static_cast<std::size_t>(state.range(1)), 'x');
  auto pair = make_pair(tls, protocol);
  if (!pair.client) {
    state.SkipWithError("could not connect the engines");
    return;
  }
  client_request req;
  req.method = "POST";
  req.scheme = tls ? "https" : "http";
  req.authority = "localhost";
  req.path = "/uplink?LrnDevEui=0018B20000000165&LrnFPort=1";
  req.body = as_bytes(body);
  static constexpr header fields[] = {{"content-type", "application/json"}};
  req.headers = fields;
  std::size_t completed = 0;
  std::size_t failed = 0;
  auto done = [&](const error& err, const response&) { err ? ++failed : ++completed; };
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) pair.client->submit(req, done);
    exchange(*pair.client_side, *pair.server_side);
  }
  if (failed > 0 || completed != batch * state.iterations()) state.SkipWithError("requests failed");
  state.SetItemsProcessed(static_cast<int64_t>(completed));
  // An inverted rate is seconds per item; counting items in billions makes it nanoseconds.
  state.counters["ns_per_request"] =
      benchmark::Counter(static_cast<double>(completed) / 1e9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void h2_plain(benchmark::State& state) { run_round_trips(state, false, "h2"); }
void h2_tls(benchmark::State& state) { run_round_trips(state, true, "h2"); }
void http1_plain(benchmark::State& state) { run_round_trips(state, false, "http/1.1"); }
void http1_tls(benchmark::State& state) { run_round_trips(state, true, "http/1.1"); }

// Arguments: {requests in flight per round trip, request body bytes}.
BENCHMARK(h2_plain)->ArgsProduct({{1, 16, 64}, {64, 1024}});
BENCHMARK(h2_tls)->ArgsProduct({{1, 16, 64}, {64, 1024}});
BENCHMARK(http1_plain)->ArgsProduct({{1}, {64, 1024}});
BENCHMARK(http1_tls)->ArgsProduct({{1}, {64, 1024}});

}  // namespace
}  // namespace tr::transport

BENCHMARK_MAIN();
