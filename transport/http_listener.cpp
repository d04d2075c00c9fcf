#include "transport/http_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <random>

#include "logging/log.hpp"
#include "transport/tls_connection.hpp"

namespace tr::transport {

namespace {

using transport::http_server_connection;

peer_address peer_of(int fd) {
  peer_address out;
  sockaddr_storage address{};
  socklen_t size = sizeof address;
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) return out;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    out.bytes[10] = out.bytes[11] = 0xff;
    std::memcpy(out.bytes.data() + 12, &v4.sin_addr, 4);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    std::memcpy(out.bytes.data(), &v6.sin6_addr, 16);
  }
  return out;
}

http_server_connection* server_of(transport::shard& home, transport::connection_handle handle,
                                  bool tls);

/// What the timeouts of one connection need; lives in its timer's closure.
struct watch {
  transport::shard* home;
  transport::connection_handle handle;
  bool tls;
  std::chrono::milliseconds header_timeout, idle_timeout;
  std::shared_ptr<listener_counters> counters;
  std::uint64_t last_progress = 0;
  std::uint64_t last_body_bytes = 0;
  bool first = true;  // the first check, at the header timeout
};

/// The slowest a request body may arrive and still count as progress: a body trickled in
/// below it holds a connection for one timeout at most.
constexpr std::uint64_t min_body_bytes_per_s = 1024;

void check(watch w) {
  auto& home = *w.home;
  if (!home.is_open(w.handle)) return;
  http_server_connection* server = server_of(home, w.handle, w.tls);
  bool first_request_seen = server && server->requests_seen() > 0;
  // The period just watched: the header timeout for the first check, the idle one after.
  auto period = w.first ? w.header_timeout : w.idle_timeout;
  auto body_moved = server ? server->body_bytes() - w.last_body_bytes : 0;
  bool body_progress =
      body_moved >= min_body_bytes_per_s * static_cast<std::uint64_t>(period.count()) / 1000;
  bool busy = server && (server->open_requests() > 0 || server->progress() != w.last_progress ||
                         body_progress);
  if (first_request_seen && busy) {
    w.last_progress = server->progress();
    w.last_body_bytes = server->body_bytes();
    w.first = false;
    if (w.idle_timeout.count() > 0) {
      auto delay = w.idle_timeout;
      home.schedule(delay, [w = std::move(w)]() mutable { check(std::move(w)); });
    }
    return;
  }
  // No handshake or first header block in time, or idle: close (HTTP/2 says GOAWAY first).
  w.counters->timed_out.fetch_add(1, std::memory_order_relaxed);
  if (server) {
    server->close();
    home.mark_dirty(w.handle);
  } else {
    home.close(w.handle);
  }
}

http_server_connection* server_of(transport::shard& home, transport::connection_handle handle,
                                  bool tls) {
  auto* engine = home.engine(handle);
  if (!engine) return nullptr;
  if (tls) return static_cast<transport::tls_connection<http_server_connection>*>(engine)->engine();
  return static_cast<http_server_connection*>(engine);
}

/// Ends a connection gracefully (GOAWAY, or close after the answer owed).
void end_gracefully(transport::shard& owner, transport::connection_handle handle, bool tls) {
  if (auto* server = server_of(owner, handle, tls)) {
    server->shutdown();
    owner.mark_dirty(handle);
  }
}

/// The age of one connection: uniform in [80 %, 100 %] of `max_age`.
std::chrono::milliseconds jittered(std::chrono::milliseconds max_age) {
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<std::chrono::milliseconds::rep> pick{max_age.count() * 4 / 5,
                                                                     max_age.count()};
  return std::chrono::milliseconds{pick(random)};
}

/// One kind of event of a listener, logged at most once every 10 s whatever the shard: the
/// first event of a window is written, with how many were held back since the last line.
struct throttled_log {
  std::atomic<std::int64_t> last_s{std::numeric_limits<std::int64_t>::min() / 2};
  std::atomic<std::uint64_t> held_back{0};

  /// True when this event may be written; `held` is then how many were not since the last.
  bool pass(transport::shard& on, std::uint64_t& held) {
    auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(on.now().time_since_epoch()).count();
    auto last = last_s.load(std::memory_order_relaxed);
    if (now_s - last < 10 || !last_s.compare_exchange_strong(last, now_s)) {
      held_back.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    held = held_back.exchange(0, std::memory_order_relaxed);
    return true;
  }
};

/// What a listener logs about strangers: requests the engine refused by itself (400, 413, 431),
/// connections ended on what the peer sent (a protocol error, a failed TLS handshake) and
/// connections closed because their address holds its share of the listener already.
struct listener_log {
  std::string name;
  throttled_log refusals, failures, crowded;
};

/// The connections each client address holds open on one listener, shared by its shards.
class address_counts {
 public:
  explicit address_counts(std::size_t cap) : cap_(cap) {}

  /// Counts one more connection from `address`; false (nothing counted) if it holds the cap.
  bool take(const peer_address& address) {
    std::lock_guard lock{mutex_};
    auto& open = open_[address.bytes];
    if (open >= cap_) {
      if (open == 0) open_.erase(address.bytes);
      return false;
    }
    ++open;
    return true;
  }

  void give_back(const peer_address& address) {
    std::lock_guard lock{mutex_};
    auto at = open_.find(address.bytes);
    if (at != open_.end() && --at->second == 0) open_.erase(at);
  }

  std::size_t cap() const { return cap_; }

 private:
  const std::size_t cap_;
  std::mutex mutex_;
  std::map<std::array<std::uint8_t, 16>, std::size_t> open_;
};

/// Remembers where its connection runs, for answers given later, keeps the count of open
/// connections of its listener, closes it at its timeouts and ends it at its age.
struct connection_context final : transport::io_handler {
  transport::shard* home = nullptr;
  transport::connection_handle handle{};
  bool tls = false;
  peer_address peer;
  std::shared_ptr<listener_counters> counters;
  std::shared_ptr<listener_log> log;
  std::shared_ptr<address_counts> per_address;  ///< null: no cap per address
  bool counted_per_address = false;
  bool crowded = false;  ///< closed as it opened (its address held its share): serves nothing
  std::chrono::milliseconds header_timeout{0}, idle_timeout{0};
  std::chrono::milliseconds max_age{0};
  transport::timer_id aged{};
  bool ending = false;  // asked to end gracefully (age, drain or hand-off)

  /// Ends the connection gracefully once; true when this call did (the TLS handshake or the
  /// protocol may not be known yet: then nothing is sent and it is false).
  bool end(transport::shard& owner, transport::connection_handle h) {
    if (ending || !server_of(owner, h, tls)) return false;
    ending = true;
    end_gracefully(owner, h, tls);
    return true;
  }

  void refused(int status, std::string_view why) {
    std::uint64_t held = 0;
    if (!home || !log->refusals.pass(*home, held)) return;
    std::string peer_text = to_string(peer), status_text = std::to_string(status),
                held_text = std::to_string(held);
    logging::warning("request refused", {{"listener", log->name},
                                         {"peer", peer_text},
                                         {"status", status_text},
                                         {"reason", why},
                                         {"held_back", held_text}});
  }

  ~connection_context() override {
    counters->open.fetch_sub(1, std::memory_order_relaxed);
    if (counted_per_address) per_address->give_back(peer);
  }

  void on_open(transport::shard& owner, transport::connection_handle h) override {
    home = &owner;
    handle = h;
    peer = peer_of(owner.native_handle(h));
    if (per_address && peer != peer_address{}) {
      counted_per_address = per_address->take(peer);
      if (!counted_per_address) {
        crowded = true;
        refuse_crowded(owner);
        owner.close(h);
        return;
      }
    }
    if (header_timeout.count() > 0) {
      watch w{&owner, h, tls, header_timeout, idle_timeout, counters};
      owner.schedule(header_timeout, [w = std::move(w)]() mutable { check(std::move(w)); });
    }
    // The timer is cancelled in on_close, before this context is destroyed.
    if (max_age.count() > 0)
      aged = owner.schedule(jittered(max_age), [this, &owner, h] { end(owner, h); });
  }
  /// Counts and logs (throttled) a connection closed at once: its address holds its share.
  void refuse_crowded(transport::shard& owner) {
    auto refused = counters->refused.fetch_add(1, std::memory_order_relaxed) + 1;
    std::uint64_t held = 0;
    if (!log->crowded.pass(owner, held)) return;
    std::string peer_text = to_string(peer), cap_text = std::to_string(per_address->cap()),
                refused_text = std::to_string(refused), held_text = std::to_string(held);
    logging::warning("an address at its cap of connections: its new ones are refused",
                     {{"listener", log->name},
                      {"peer", peer_text},
                      {"max_connections_per_address", cap_text},
                      {"refused_so_far", refused_text},
                      {"held_back", held_text}});
  }

  void on_drain(transport::shard& owner, transport::connection_handle h) override {
    ending = true;
    end_gracefully(owner, h, tls);
  }
  bool on_hand_off(transport::shard& owner, transport::connection_handle h) override {
    return end(owner, h);
  }
  void on_close(transport::shard& owner, transport::connection_handle,
                const transport::io_status& why) override {
    if (aged) owner.cancel(aged);
    std::uint64_t held = 0;
    if (why.failure != transport::io_failure::engine || !log->failures.pass(owner, held)) return;
    std::string peer_text = to_string(peer), held_text = std::to_string(held);
    logging::warning("connection ended on what the peer sent",
                     {{"listener", log->name},
                      {"peer", peer_text},
                      {"reason", why.engine_error.message()},
                      {"held_back", held_text}});
  }
};

}  // namespace

void respond_later(const request_origin& origin, int status, std::vector<owned_header> headers,
                   std::string body) {
  if (!origin.home) return;
  origin.home->post([origin, status, headers = std::move(headers),
                     body = std::move(body)](transport::shard& home) {
    auto* server = server_of(home, origin.handle, origin.tls);
    if (!server) return;
    std::vector<transport::header> fields;
    fields.reserve(headers.size());
    for (auto& [name, value] : headers) fields.push_back({name, value});
    (void)server->respond(origin.stream, status, fields, body);
    home.mark_dirty(origin.handle);
  });
}

void respond_now(http_server_connection& connection, transport::stream_id stream, int status,
                 std::string_view content_type, std::string_view body) {
  transport::header fields[] = {{"content-type", content_type}};
  (void)connection.respond(stream, status, fields, body);
}

void respond_method_not_allowed(http_server_connection& connection, transport::stream_id stream,
                                std::string_view allow, std::string_view content_type,
                                std::string_view body) {
  transport::header fields[] = {{"content-type", content_type}, {"allow", allow}};
  (void)connection.respond(stream, 405, fields, body);
}

std::string to_string(const peer_address& address) {
  if (address == peer_address{}) return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(address.bytes.data(), mapped, 12) == 0)
    ::inet_ntop(AF_INET, address.bytes.data() + 12, text, sizeof text);
  else
    ::inet_ntop(AF_INET6, address.bytes.data(), text, sizeof text);
  return text;
}

transport::listen_result listen_http(transport::runtime& runtime,
                                     const http_listener_options& options, http_service service) {
  auto shared = std::make_shared<http_service>(std::move(service));
  auto limits = options.limits;
  auto tls = options.tls;
  auto max_age = options.max_connection_age;
  auto counters = options.counters ? options.counters : std::make_shared<listener_counters>();
  auto guards = options;  // name, cap and timeouts
  guards.tls.reset();
  guards.limits = {};
  auto log = std::make_shared<listener_log>();
  log->name = options.name;
  auto per_address = options.max_connections_per_address > 0
                         ? std::make_shared<address_counts>(options.max_connections_per_address)
                         : nullptr;
  return runtime.listen(
      options.host, options.port,
      [shared, limits, tls, counters, log, per_address, guards, max_age](transport::shard& on) {
        if (guards.max_connections > 0 &&
            counters->open.fetch_add(1, std::memory_order_relaxed) >= guards.max_connections) {
          counters->open.fetch_sub(1, std::memory_order_relaxed);
          auto refused = counters->refused.fetch_add(1, std::memory_order_relaxed) + 1;
          auto now_s =
              std::chrono::duration_cast<std::chrono::seconds>(on.now().time_since_epoch()).count();
          auto last = counters->last_log_s.load(std::memory_order_relaxed);
          if (now_s - last >= 10 &&
              counters->last_log_s.compare_exchange_strong(last, now_s, std::memory_order_relaxed))
            logging::warning("listener at its cap of connections: new ones are refused",
                             {{"listener", guards.name},
                              {"max_connections", std::to_string(guards.max_connections)},
                              {"refused_so_far", std::to_string(refused)}});
          return transport::accepted_connection{};
        }
        if (guards.max_connections == 0) counters->open.fetch_add(1, std::memory_order_relaxed);
        auto context = std::make_unique<connection_context>();
        auto* ctx = context.get();
        ctx->counters = counters;
        ctx->log = log;
        ctx->per_address = per_address;
        ctx->header_timeout = guards.header_timeout;
        ctx->idle_timeout = guards.idle_timeout;
        ctx->tls = tls.has_value();
        ctx->max_age = max_age;
        transport::request_handler handler = [ctx, shared](http_server_connection& connection,
                                                           const transport::request& request) {
          if (ctx->crowded) return;  // closing at the end of this turn, unanswered
          request_origin origin{ctx->home, ctx->handle, ctx->tls, request.stream, ctx->peer};
          try {
            (*shared)(origin, connection, request);
          } catch (const std::exception& e) {
            // A defect in a service fails its own request only: 500, counted, logged.
            auto failures = ctx->counters->handler_failures.fetch_add(1, std::memory_order_relaxed);
            if (failures < 8 || (failures & (failures + 1)) == 0)
              logging::error(
                  "a request's handler failed: answered 500",
                  {{"method", request.method}, {"path", request.path}, {"what", e.what()}});
            respond_now(connection, request.stream, 500, "text/plain", "internal error\n");
          }
        };
        // The engine's own refusals are logged with the peer that caused them.
        auto own_limits = limits;
        own_limits.on_refusal = [ctx, counted = limits.on_refusal](int status,
                                                                   std::string_view why) {
          if (counted) counted(status, why);
          ctx->refused(status, why);
        };
        transport::accepted_connection accepted;
        if (tls) {
          auto session = tls->accept();
          if (!session) return accepted;  // refused: the socket is closed
          accepted.engine = std::make_unique<transport::tls_connection<http_server_connection>>(
              std::move(*session), [own_limits, handler](std::string_view alpn) {
                return std::make_unique<http_server_connection>(own_limits, handler,
                                                                transport::protocol_for_alpn(alpn));
              });
        } else {
          accepted.engine = std::make_unique<http_server_connection>(own_limits, handler);
        }
        accepted.handler = std::move(context);
        return accepted;
      },
      options.follow_load);
}

}  // namespace tr::transport
