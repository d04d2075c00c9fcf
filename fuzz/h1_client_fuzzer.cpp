// The HTTP/1.1 client on bytes from a server (an NS or an AS speaking HTTP/1.1): status lines,
// headers, bodies by length, by chunks or to the end of the connection, 1xx answers, HEAD,
// "connection: close", answers nobody asked for. A control byte picks how many requests are
// pipelined (1 to 4), the chunk size the bytes arrive in and whether the client cancels or
// submits more between chunks. Each submitted request must complete exactly once, at the latest
// when the connection is closed, and nothing is submitted on a connection that is done.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.hpp"
#include "transport/h1_client_connection.hpp"

using namespace tr::transport;
using tr::fuzz::check;

namespace {

struct harness {
  std::vector<int> completions;  // per submitted request, in submit order
  std::vector<stream_id> streams;

  void submit(h1_client_connection& client, bool head) {
    if (!client.can_submit()) return;
    client_request req;
    req.method = head ? "HEAD" : "POST";
    req.authority = "ns.example";
    req.path = "/downlink";
    header extra[] = {{"content-type", "application/json"}};
    req.headers = extra;
    req.body = tr::fuzz::bytes_of(std::string_view{"{\"DevEUI\":\"00\"}"});
    std::size_t index = completions.size();
    completions.push_back(0);
    auto id = client.submit(req, [this, index](const error&, const response& res) {
      ++completions[index];
      check(res.body.size() <= (64u << 10), "a response body over the limit was delivered");
    });
    if (id) {
      streams.push_back(*id);
    } else {
      completions.pop_back();  // refused at once: no completion is owed
    }
  }
};

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
  harness h;
  {
    h1_client_connection client{options};
    for (std::size_t i = 0; i < options.http1_pipeline; ++i) h.submit(client, control & 0x20);
    check(client.in_flight() == h.streams.size(), "in_flight does not count what was sent");
    drain(client);
    while (!in.empty()) {
      auto bytes = in.take(chunk);
      auto err = client.receive(tr::fuzz::bytes_of(bytes));
      drain(client);
      if (err) break;
      if ((control & 4) && !h.streams.empty()) {
        client.cancel(h.streams.front());
        h.streams.erase(h.streams.begin());
      }
      if (control & 8) h.submit(client, false);
      drain(client);
    }
    if (control & 0x10) client.receive_eof();
    client.close();
    check(client.in_flight() == 0, "requests left in flight after close");
    check(client.wants_close(), "a closed connection does not want to close");
    for (int count : h.completions) check(count == 1, "a request did not complete exactly once");
  }
  return 0;
}
