#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transport/runtime/socket.hpp"
#include "transport/runtime/unique_function.hpp"

namespace tr::transport::detail {

/// The addresses of a host name, or the getaddrinfo error (an EAI_ code).
struct resolve_result {
  std::vector<socket_address> addresses;  ///< in getaddrinfo's order of preference
  int error = 0;                          ///< 0, or the EAI_ code
};

/// Resolves host names with getaddrinfo on one thread of its own, started at the first request,
/// so that no shard ever blocks on name resolution. Requests are served in order.
class resolver {
 public:
  using callback = unique_function<void(resolve_result)>;

  resolver() = default;
  ~resolver();  ///< stop()
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  /// Queues a lookup (any thread); `done` runs on the resolver thread, so it usually posts the
  /// result to a shard. Dropped unrun after stop().
  void resolve(std::string host, std::uint16_t port, callback done);

  /// Finishes the lookup in progress, drops the queued ones and joins the thread.
  void stop();

 private:
  struct request {
    std::string host;
    std::uint16_t port;
    callback done;
  };

  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<request> queue_;
  std::thread thread_;
  bool stopping_ = false;
};

}  // namespace tr::transport::detail
