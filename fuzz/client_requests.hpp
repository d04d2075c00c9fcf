#pragma once

// What the HTTP client fuzz targets share: the requests a target submitted, each of which must
// complete exactly once, and how a target cancels the oldest one still waiting.

#include <cstddef>
#include <vector>

#include "fuzz/fuzz_input.hpp"
#include "transport/client_connection.hpp"

namespace tr::fuzz {

class submitted_requests {
 public:
  /// Submits `req` when the client can take it; a request refused at once is owed nothing.
  void submit(transport::client_connection& client, const transport::client_request& req) {
    if (!client.can_submit()) return;
    std::size_t index = completions_.size();
    completions_.push_back(0);
    auto id = client.submit(req, [this, index](const transport::error&,
                                               const transport::response& res) {
      ++completions_[index];
      check(res.body.size() <= (64u << 10), "a response body over the limit was delivered");
    });
    if (id) {
      streams_.push_back(*id);
    } else {
      completions_.pop_back();
    }
  }

  /// Cancels the oldest request not cancelled yet, if any.
  void cancel_oldest(transport::client_connection& client) {
    if (streams_.empty()) return;
    client.cancel(streams_.front());
    streams_.erase(streams_.begin());
  }

  /// Requests submitted and not cancelled by cancel_oldest.
  std::size_t open() const { return streams_.size(); }

  /// The property: every submitted request completed exactly once.
  void check_each_completed_once() const {
    for (int count : completions_) check(count == 1, "a request did not complete exactly once");
  }

 private:
  std::vector<int> completions_;  // per submitted request, in submit order
  std::vector<transport::stream_id> streams_;
};

}  // namespace tr::fuzz
