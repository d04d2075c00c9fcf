// The server connection engine on bytes from a client: HTTP/1.1 (http_parser, keep-alive,
// pipelining, chunked bodies, limits) and, when the input opens with the HTTP/2 preface in
// detect mode, the HTTP/2 server. A control byte picks the protocol choice, the chunk size the
// bytes arrive in and how the application answers: at once, later (out of order), or by
// cancelling. The engine must keep the driving contract: no crash, output only while serving,
// and an HTTP/1.1 answer that starts with a status line.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.hpp"
#include "transport/http_server_connection.hpp"

using namespace tr::transport;
using tr::fuzz::check;

namespace {

struct harness {
  std::vector<stream_id> deferred;
  std::string output;
  std::uint8_t answer_mode = 0;
  std::size_t requests = 0;

  void drain(http_server_connection& connection) {
    for (int round = 0; round < 64; ++round) {
      auto out = connection.pending_output();
      if (out.empty()) return;
      // A driver may write less than offered: take half, then the rest.
      std::size_t count = out.size() > 1 && (answer_mode & 8) ? out.size() / 2 : out.size();
      if (output.size() < (1 << 16)) output.append(as_text(out.first(count)));
      connection.consume_output(count);
    }
  }

  void answer_deferred(http_server_connection& connection) {
    // Newest first: HTTP/1.1 must still answer in request order. An answer may dispatch the
    // next pipelined request at once, which the handler defers again: take the list first.
    std::vector<stream_id> waiting;
    waiting.swap(deferred);
    for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) {
      header fields[] = {{"content-type", "text/plain"}};
      (void)connection.respond(*it, 200, fields, std::string_view{"later"});
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tr::fuzz::input_reader in{data, size};
  auto control = in.byte();
  std::size_t chunk = in.byte();
  if (chunk == 0) chunk = size;
  harness h;
  h.answer_mode = control;
  server_options options;
  options.max_body_size = 4096;
  options.max_header_size = 2048;
  options.max_concurrent_streams = 8;
  auto choice = (control & 3) == 1 ? server_protocol_choice::http1 : server_protocol_choice::detect;
  http_server_connection connection{
      options,
      [&h](http_server_connection& c, const request& req) {
        ++h.requests;
        switch ((h.answer_mode >> 4) % 4) {
          case 0: {
            header fields[] = {{"content-type", "text/plain"}, {"x-path", req.path}};
            (void)c.respond(req.stream, 200, fields, req.body);
            break;
          }
          case 1: h.deferred.push_back(req.stream); break;
          case 2: c.cancel(req.stream); break;
          default: {
            (void)c.respond(req.stream, 204, {}, std::string_view{});
            // A second answer to the same request must be refused, not sent.
            check(static_cast<bool>(c.respond(req.stream, 200, {}, std::string_view{"x"})),
                  "a request was answered twice");
            break;
          }
        }
      },
      choice};
  h.drain(connection);
  while (!in.empty()) {
    auto bytes = in.take(chunk);
    auto err = connection.receive(tr::fuzz::bytes_of(bytes));
    h.drain(connection);
    h.answer_deferred(connection);
    h.drain(connection);
    if (err) break;
  }
  if (control & 4) connection.shutdown();
  connection.receive_eof();
  h.answer_deferred(connection);
  h.drain(connection);
  (void)connection.respond(12345, 200, {}, std::string_view{"nobody asked"});
  h.drain(connection);
  if (connection.version() == http_version::http1 && !h.output.empty()) {
    check(h.output.starts_with("HTTP/1.1 "), "an HTTP/1.1 answer without a status line");
  }
  return 0;
}
