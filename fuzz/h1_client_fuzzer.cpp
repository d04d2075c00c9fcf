// The HTTP/1.1 client on bytes from a server (an NS or an AS speaking HTTP/1.1): status lines,
// headers, bodies by length, by chunks or to the end of the connection, 1xx answers, HEAD,
// "connection: close", answers nobody asked for. A control byte picks how many requests are
// pipelined (1 to 4), the chunk size the bytes arrive in and whether the client cancels or
// submits more between chunks. Each submitted request must complete exactly once, at the latest
// when the connection is closed, and nothing is submitted on a connection that is done.

#include <cstddef>
#include <cstdint>

#include "fuzz/client_requests.hpp"
#include "fuzz/fuzz_input.hpp"
#include "transport/h1_client_connection.hpp"

using namespace tr::transport;
using tr::fuzz::check;

namespace {

void submit(tr::fuzz::submitted_requests& sent, h1_client_connection& client, bool head) {
  client_request req;
  req.method = head ? "HEAD" : "POST";
  req.authority = "ns.example";
  req.path = "/downlink";
  header extra[] = {{"content-type", "application/json"}};
  req.headers = extra;
  req.body = tr::fuzz::bytes_of("{\"DevEUI\":\"00\"}");
  sent.submit(client, req);
}

void drain(h1_client_connection& client) {
  auto out = client.pending_output();
  client.consume_output(out.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tr::fuzz::input_reader in{data, size};
  auto control = in.byte();
  std::size_t chunk = in.byte();
  if (chunk == 0) chunk = size;
  client_options options;
  options.max_response_body_size = 64 << 10;
  options.max_header_size = 4096;
  options.http1_pipeline = 1 + (control & 3);
  tr::fuzz::submitted_requests sent;
  {
    h1_client_connection client{options};
    for (std::size_t i = 0; i < options.http1_pipeline; ++i) submit(sent, client, control & 0x20);
    check(client.in_flight() == sent.open(), "in_flight does not count what was sent");
    drain(client);
    while (!in.empty()) {
      auto bytes = in.take(chunk);
      auto err = client.receive(tr::fuzz::bytes_of(bytes));
      drain(client);
      if (err) break;
      if (control & 4) sent.cancel_oldest(client);
      if (control & 8) submit(sent, client, false);
      drain(client);
    }
    if (control & 0x10) client.receive_eof();
    client.close();
    check(client.in_flight() == 0, "requests left in flight after close");
    check(client.wants_close(), "a closed connection does not want to close");
    sent.check_each_completed_once();
  }
  return 0;
}
