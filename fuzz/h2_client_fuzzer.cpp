// The HTTP/2 client's frame reader on bytes from an AS: frames, HPACK blocks, CONTINUATION,
// padding, flow control, SETTINGS, GOAWAY, RST_STREAM. A control byte picks how many requests
// are in flight, the chunk size the bytes arrive in and whether the client cancels or submits
// more between chunks. Each submitted request must complete exactly once, at the latest when
// the connection is closed.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/client_requests.hpp"
#include "fuzz/fuzz_input.hpp"
#include "transport/h2_client_connection.hpp"

using namespace tr::transport;

namespace {

void submit(tr::fuzz::submitted_requests& sent, h2_client_connection& client,
            std::string_view body) {
  client_request req;
  req.method = "POST";
  req.scheme = "https";
  req.authority = "as.example";
  req.path = "/uplink?LrnDevEui=20635F0108000496";
  header extra[] = {{"content-type", "application/json"}, {"x-tenant", "t"}};
  req.headers = extra;
  req.body = tr::fuzz::bytes_of(body);
  sent.submit(client, req);
}

void drain(h2_client_connection& client) {
  for (int round = 0; round < 64; ++round) {
    auto out = client.pending_output();
    if (out.empty()) return;
    client.consume_output(out.size());
  }
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
  options.max_concurrent_streams = 8;
  options.initial_window_size = 1 << 16;
  tr::fuzz::submitted_requests sent;
  {
    h2_client_connection client{options};
    std::string body(control & 0x40 ? 70000 : 20, 'x');  // over the initial window, or not
    for (int i = 0; i < 1 + (control & 3); ++i) submit(sent, client, body);
    drain(client);
    while (!in.empty()) {
      auto bytes = in.take(chunk);
      auto err = client.receive(tr::fuzz::bytes_of(bytes));
      drain(client);
      if (err) break;
      if (control & 4) sent.cancel_oldest(client);
      if (control & 8) submit(sent, client, "more");
      drain(client);
    }
    if (control & 0x10) client.receive_eof();
    drain(client);
    client.close();
    drain(client);
    sent.check_each_completed_once();
  }
  return 0;
}
