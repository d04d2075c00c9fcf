// The TLS record pump: a server tls_connection (our BIO, the session's buffers, the inner HTTP
// engine made from ALPN) driven two ways. Raw mode feeds the input as ciphertext from a client
// (handshake messages, records, alerts). Session mode first completes a real handshake with a
// client session (ALPN h2 or http/1.1), then plays a script: the client sends plaintext, its
// records reach the server in chunks, whole or with a bit flipped, raw bytes are injected,
// either side closes. Our own client and server must agree on a handshake; then no input may
// crash or wedge the pump.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "bench/harness/pki.hpp"
#include "fuzz/fuzz_input.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/tls_connection.hpp"
#include "transport/tls_context.hpp"

using namespace tr::transport;
using tr::fuzz::check;

namespace {

struct contexts {
  tls_context server = make_server();
  tls_context client_h2 = make_client({"h2"});
  tls_context client_h1 = make_client({"http/1.1"});

  static tls_context make_server() {
    char folder[] = "/tmp/tr-fuzz-tls-XXXXXX";
    check(mkdtemp(folder) != nullptr, "cannot make a temporary folder");
    auto files = tr::harness::generate_pki(folder, "fuzz");
    auto made = tls_context::server({files.cert_file, files.key_file, {"h2", "http/1.1"}});
    check(static_cast<bool>(made), "cannot make the server TLS context");
    return *made;
  }

  static tls_context make_client(std::vector<std::string> alpn) {
    tls_client_config config;
    config.use_system_trust_store = false;
    config.verify_peer = false;
    config.alpn = std::move(alpn);
    auto made = tls_context::client(config);
    check(static_cast<bool>(made), "cannot make a client TLS context");
    return *made;
  }
};

using server_type = tls_connection<http_server_connection>;

std::unique_ptr<server_type> make_server(const tls_context& context) {
  auto session = context.accept();
  check(static_cast<bool>(session), "accept() failed");
  return std::make_unique<server_type>(std::move(*session), [](std::string_view alpn) {
    server_options options;
    options.max_body_size = 4096;
    options.max_header_size = 2048;
    return std::make_unique<http_server_connection>(
        options,
        [](http_server_connection& c, const request& req) {
          (void)c.respond(req.stream, 200, {}, req.body);
        },
        protocol_for_alpn(alpn));
  });
}

/// Server output to the client; returns false once the client failed.
bool server_to_client(server_type& server, tls_session& client) {
  for (int round = 0; round < 64; ++round) {
    auto out = server.pending_output();
    if (out.empty()) break;
    auto err = client.receive(out);
    server.consume_output(out.size());
    if (err) return false;
  }
  client.consume_plaintext(client.plaintext().size());
  return true;
}

void raw(tr::fuzz::input_reader& in, const contexts& c, std::size_t chunk) {
  auto server = make_server(c.server);
  while (!in.empty()) {
    auto err = server->receive(tr::fuzz::bytes_of(in.take(chunk)));
    while (!server->pending_output().empty())
      server->consume_output(server->pending_output().size());
    if (err) break;
  }
  server->receive_eof();
  (void)server->pending_output();
}

void session(tr::fuzz::input_reader& in, const contexts& c, bool h2) {
  auto server = make_server(c.server);
  auto connected = (h2 ? c.client_h2 : c.client_h1).connect("localhost");
  check(static_cast<bool>(connected), "connect() failed");
  tls_session client = std::move(*connected);
  std::string to_server;  // client ciphertext not delivered yet
  auto collect = [&] {
    auto out = client.pending_ciphertext();
    to_server.append(tr::fuzz::text_of(out));
    client.consume_ciphertext(out.size());
  };
  auto deliver = [&](std::size_t count) {
    count = std::min(count, to_server.size());
    auto err = server->receive(tr::fuzz::bytes_of(std::string_view{to_server}.substr(0, count)));
    to_server.erase(0, count);
    return !err;
  };
  // The handshake, whole.
  for (int round = 0;
       round < 8 && !(client.handshake_done() && server->session().handshake_done()); ++round) {
    collect();
    if (!deliver(to_server.size())) break;
    if (!server_to_client(*server, client)) break;
  }
  check(client.handshake_done() && server->session().handshake_done(),
        "the handshake between our own client and server did not complete");
  check(server->session().alpn() == (h2 ? "h2" : "http/1.1"), "ALPN was not agreed");
  for (int step = 0; step < 64 && !in.empty(); ++step) {
    auto op = in.byte();
    bool alive = true;
    switch (op % 8) {
      case 0:
      case 1: (void)client.send(tr::fuzz::bytes_of(in.take(in.between(1, 255)))); break;
      case 2: collect(); alive = deliver(in.between(1, 64)); break;
      case 3: collect(); alive = deliver(to_server.size()); break;
      case 4: {
        collect();
        if (!to_server.empty()) {
          to_server[in.byte() % to_server.size()] ^= static_cast<char>(1 << (op >> 5));
        }
        alive = deliver(to_server.size());
        break;
      }
      case 5: collect(); to_server.append(in.take(in.between(1, 64))); break;
      case 6: client.shutdown(); break;
      default: server->receive_eof(); break;
    }
    if (!alive) break;
    if (!server_to_client(*server, client)) break;
    if (server->wants_close() && server->pending_output().empty()) break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static contexts c;
  tr::fuzz::input_reader in{data, size};
  auto mode = in.byte();
  switch (mode % 3) {
    case 0: raw(in, c, mode < 128 ? size : in.between(1, 200)); break;
    case 1: session(in, c, true); break;
    default: session(in, c, false); break;
  }
  return 0;
}
