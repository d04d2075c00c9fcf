#include "bench/harness/http_listener.hpp"

#include <memory>

#include "transport/tls_connection.hpp"

namespace tr::harness {

namespace {

using transport::http_server_connection;

struct connection_context final : transport::io_handler {
  transport::shard* home = nullptr;
  transport::connection_handle handle{};
  bool tls = false;
  void on_open(transport::shard& owner, transport::connection_handle h) override {
    home = &owner;
    handle = h;
  }
};

http_server_connection* server_of(transport::shard& home, transport::connection_handle handle, bool tls) {
  auto* engine = home.engine(handle);
  if (!engine) return nullptr;
  if (tls) return static_cast<transport::tls_connection<http_server_connection>*>(engine)->engine();
  return static_cast<http_server_connection*>(engine);
}

}  // namespace

void respond_on_shard(const request_origin& origin, int status, std::string_view content_type,
                      std::string_view body) {
  auto* server = server_of(*origin.home, origin.handle, origin.tls);
  if (!server) return;
  transport::header fields[] = {{"content-type", content_type}};
  (void)server->respond(origin.stream, status, fields, body);
  origin.home->mark_dirty(origin.handle);
}

transport::listen_result listen_http(transport::runtime& runtime, const std::string& host, std::uint16_t port,
                                     const transport::server_options& limits,
                                     std::optional<transport::tls_context> tls, request_service service) {
  auto shared = std::make_shared<request_service>(std::move(service));
  return runtime.listen(host, port, [shared, limits, tls](transport::shard&) {
    auto context = std::make_unique<connection_context>();
    auto* ctx = context.get();
    ctx->tls = tls.has_value();
    transport::request_handler handler = [ctx, shared](http_server_connection& connection,
                                                       const transport::request& request) {
      (*shared)(request_origin{ctx->home, ctx->handle, ctx->tls, request.stream}, connection, request);
    };
    transport::accepted_connection accepted;
    if (tls) {
      auto session = tls->accept();
      if (!session) return accepted;
      accepted.engine = std::make_unique<transport::tls_connection<http_server_connection>>(
          std::move(*session), [limits, handler](std::string_view alpn) {
            return std::make_unique<http_server_connection>(limits, handler, transport::protocol_for_alpn(alpn));
          });
    } else {
      accepted.engine = std::make_unique<http_server_connection>(limits, handler);
    }
    accepted.handler = std::move(context);
    return accepted;
  });
}

}  // namespace tr::harness
