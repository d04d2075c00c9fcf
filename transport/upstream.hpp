#pragma once

#include <cstdint>
#include <string>

#include "transport/error.hpp"
#include "transport/http_types.hpp"

namespace tr::transport {

/// Where an upstream connects.
struct upstream_target {
  std::string host;  ///< DNS name or IP address (also the TLS server name)
  std::uint16_t port = 0;
  bool tls = true;  ///< https: TLS with ALPN h2, else http/1.1; plain: HTTP/1.1
};

/// Names a request given to an upstream, until its answer.
struct upstream_ticket {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;  ///< 0: none
  explicit operator bool() const { return generation != 0; }
};

/// Receives the answers to the requests its upstream took (on the upstream's thread).
class upstream_user {
 public:
  /// The one answer to the request submitted with `cookie`: the response, or an error. `sent`
  /// is false when the request never left the router (no session came for it, it was cancelled
  /// or failed while waiting for one): the server certainly did not see it. Errors of requests
  /// that never left: `refused` (no TCP connection), `cancelled` (cancel(), or no TCP connection
  /// within the connect timeout), `tls_error` / `tls_handshake_failed` (the session's TLS set-up
  /// failed or did not finish in time), `busy` (shutting down: no new session may open),
  /// `connection_closed` (the upstream was retired).
  virtual void on_answer(std::uint64_t cookie, const error& err, const response& res,
                         bool sent) = 0;

 protected:
  ~upstream_user() = default;
};

/// The sessions from one loop to one server, seen by their user as capacity to send requests
/// (upstream_pool.hpp is the real one; unit tests script their own). Every request it takes
/// gets exactly one on_answer(), never inside submit(); cancel() answers at once.
class upstream {
 public:
  enum class verdict : std::uint8_t {
    sent,     ///< on a free stream or connection now
    waiting,  ///< copied, until a session being opened is ready (or fails)
    full,     ///< not taken: every session is busy and no other may open (or shutting down)
  };
  struct submitted {
    verdict what = verdict::full;
    upstream_ticket ticket;  ///< for sent and waiting
  };

  virtual ~upstream() = default;

  /// Offers a request; `cookie` comes back with its answer. The scheme is the upstream's.
  virtual submitted submit(const client_request& req, std::uint64_t cookie) = 0;
  /// Abandons a request taken and not answered yet: its on_answer() runs at once with
  /// `cancelled` (HTTP/1.1: its connection closes).
  virtual void cancel(upstream_ticket ticket) = 0;
  /// True when the server speaks only HTTP/1.1 (its last ALPN choice, or a plain target).
  virtual bool http1() const = 0;
  /// A new destination: the sessions open now take no new requests and close once idle (what
  /// they carry finishes on them); new requests go to `target`.
  virtual void retarget(const upstream_target& target) = 0;
  /// Stops taking requests. Gracefully: what waits is still sent when a session comes, what is
  /// in flight finishes, and sessions close once idle. At once: what waits is answered now, the
  /// sessions close and what they carried is answered as `connection_closed`.
  virtual void retire(bool graceful) = 0;
  /// The user goes away: no answer reaches it any more, the sessions close.
  virtual void detach() = 0;
};

}  // namespace tr::transport
