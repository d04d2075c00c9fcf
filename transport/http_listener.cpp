#include "transport/http_listener.hpp"

#include <random>

#include "transport/tls_connection.hpp"

namespace tr::transport {

namespace {

using transport::http_server_connection;

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

/// Remembers where its connection runs, for answers given later; ends it at its age.
struct connection_context final : transport::io_handler {
  transport::shard* home = nullptr;
  transport::connection_handle handle{};
  bool tls = false;
  std::chrono::milliseconds max_age{0};
  transport::timer_id aged{};
  void on_open(transport::shard& owner, transport::connection_handle h) override {
    home = &owner;
    handle = h;
    if (max_age.count() > 0)
      aged = owner.schedule(jittered(max_age), [&owner, h, tls = tls] {
        end_gracefully(owner, h, tls);
      });
  }
  void on_drain(transport::shard& owner, transport::connection_handle h) override {
    end_gracefully(owner, h, tls);
  }
  void on_close(transport::shard& owner, transport::connection_handle,
                const transport::io_status&) override {
    if (aged) owner.cancel(aged);
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

transport::listen_result listen_http(transport::runtime& runtime,
                                     const http_listener_options& options, http_service service) {
  auto shared = std::make_shared<http_service>(std::move(service));
  auto limits = options.limits;
  auto tls = options.tls;
  auto max_age = options.max_connection_age;
  return runtime.listen(options.host, options.port, [shared, limits, tls,
                                                     max_age](transport::shard&) {
    auto context = std::make_unique<connection_context>();
    auto* ctx = context.get();
    ctx->tls = tls.has_value();
    ctx->max_age = max_age;
    transport::request_handler handler = [ctx, shared](http_server_connection& connection,
                                                       const transport::request& request) {
      request_origin origin{ctx->home, ctx->handle, ctx->tls, request.stream};
      (*shared)(origin, connection, request);
    };
    transport::accepted_connection accepted;
    if (tls) {
      auto session = tls->accept();
      if (!session) return accepted;  // refused: the socket is closed
      accepted.engine = std::make_unique<transport::tls_connection<http_server_connection>>(
          std::move(*session), [limits, handler](std::string_view alpn) {
            return std::make_unique<http_server_connection>(limits, handler,
                                                            transport::protocol_for_alpn(alpn));
          });
    } else {
      accepted.engine = std::make_unique<http_server_connection>(limits, handler);
    }
    accepted.handler = std::move(context);
    return accepted;
  });
}

}  // namespace tr::transport
