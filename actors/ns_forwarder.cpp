#include "actors/ns_forwarder.hpp"

#include <algorithm>
#include <charconv>

#include "api/detail/uri.hpp"
#include "transport/tls_connection.hpp"

namespace tr::actors {

using transport::client_connection;

std::string parse_ns_target(const std::string& url, ns_target& out) {
  auto parsed = api::detail::parse_uri(url);
  if (!parsed.value) return parsed.error;
  auto& uri = *parsed.value;
  if (uri.scheme == "https")
    out.tls = true, out.port = 443;
  else if (uri.scheme == "http")
    out.tls = false, out.port = 80;
  else
    return "scheme must be http or https";
  if (uri.host.empty()) return "no host";
  out.host = std::string{uri.host};
  bool ipv6 = uri.kind == api::detail::host_kind::ipv6;
  out.authority = ipv6 ? "[" + out.host + "]" : out.host;
  if (uri.port && !uri.port->empty()) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(uri.port->data(), uri.port->data() + uri.port->size(), v);
    if (ec != std::errc{} || v == 0 || v > 65535) return "bad port";
    out.port = static_cast<std::uint16_t>(v);
    out.authority.append(":").append(*uri.port);
  }
  out.path = uri.path.empty() ? "/" : std::string{uri.path};
  if (uri.query) out.path.append("?").append(*uri.query);
  return {};
}

ns_forwarder::ns_forwarder(transport::shard& home, ns_target target, transport::tls_context tls,
                           std::chrono::milliseconds timeout)
    : home_(home), target_(std::move(target)), tls_(std::move(tls)), timeout_(timeout) {}

void ns_forwarder::post(std::string body, done_fn done) {
  if (jobs_.size() >= max_jobs) {
    done(not_sent);
    return;
  }
  auto id = next_id_++;
  jobs_.push_back(job{id, std::move(body), std::move(done)});
  jobs_.back().timer = home_.schedule(timeout_, [w = weak_from_this(), id] {
    if (auto self = w.lock()) self->finish(id, 0);
  });
  pump();
}

client_connection* ns_forwarder::client() const {
  auto* engine = home_.engine(handle_);
  if (!engine) return nullptr;
  if (target_.tls)
    return static_cast<transport::tls_connection<client_connection>*>(engine)->engine();
  return static_cast<client_connection*>(engine);
}

void ns_forwarder::pump() {
  if (jobs_.empty()) {
    if (handle_ && home_.draining()) home_.close(handle_);  // shutting down and idle
    return;
  }
  if (!handle_ && !connecting_) return connect();
  if (!ready_) return;
  auto* c = client();
  if (!c) return;
  if (c->needs_new_connection()) {
    if (c->in_flight() == 0) home_.close(handle_);
    return;
  }
  transport::header headers[] = {{"content-type", "application/json"}};
  for (auto& j : jobs_) {
    if (j.sent) continue;
    if (!c->can_submit()) break;
    transport::client_request request;
    request.scheme = target_.tls ? "https" : "http";
    request.authority = target_.authority;
    request.path = target_.path;
    request.headers = headers;
    request.body = transport::as_bytes(j.body);
    auto id = j.id;
    auto stream =
        c->submit(request, [this, id](const transport::error& err, const transport::response& res) {
          finish(id, !err ? res.status : err.retryable() ? not_sent : 0);
        });
    if (!stream) break;
    j.sent = true;
    j.stream = *stream;
  }
  home_.mark_dirty(handle_);
}

void ns_forwarder::connect() {
  connecting_ = true;
  home_.connect(target_.host, target_.port, std::chrono::milliseconds{3000},
                [w = weak_from_this()](transport::connect_result result) {
                  if (auto self = w.lock()) self->on_connected(std::move(result));
                });
}

void ns_forwarder::on_connected(transport::connect_result result) {
  connecting_ = false;
  if (!result) {
    while (!jobs_.empty()) finish(jobs_.front().id, 0);
    return;
  }
  std::unique_ptr<transport::connection_engine> engine;
  if (target_.tls) {
    auto session = tls_.connect(target_.host);
    if (!session) {
      while (!jobs_.empty()) finish(jobs_.front().id, 0);
      return;
    }
    engine = std::make_unique<transport::tls_connection<client_connection>>(
        std::move(*session), [this](std::string_view alpn) -> std::unique_ptr<client_connection> {
          home_.post([w = weak_from_this()](transport::shard&) {
            if (auto self = w.lock()) {
              self->ready_ = true;
              self->pump();
            }
          });
          return transport::make_client_connection(alpn, transport::client_options{});
        });
  } else {
    engine = transport::make_client_connection("", transport::client_options{});
    ready_ = true;
  }
  handle_ = home_.adopt(std::move(result.connected), std::move(engine), *this);
  if (handle_) home_.mark_dirty(handle_);
  pump();
}

void ns_forwarder::finish(std::uint64_t id, int status) {
  auto it = std::find_if(jobs_.begin(), jobs_.end(), [id](const job& j) { return j.id == id; });
  if (it == jobs_.end()) return;
  auto done = std::move(it->done);
  if (it->timer) home_.cancel(it->timer);
  bool cancel_stream = status == 0 && it->sent;
  if (status == 0 && !it->sent) status = not_sent;
  auto stream = it->stream;
  jobs_.erase(it);
  if (cancel_stream) {
    if (auto* c = client()) {
      c->cancel(stream);  // may run the completion, which finds no job any more
      home_.mark_dirty(handle_);
    }
  }
  done(status);
  pump();
}

void ns_forwarder::on_drain(transport::shard&, transport::connection_handle handle) {
  if (handle == handle_ && jobs_.empty()) home_.close(handle_);
}

void ns_forwarder::on_close(transport::shard&, transport::connection_handle handle,
                            const transport::io_status&) {
  if (handle != handle_) return;
  handle_ = {};
  bool was_ready = ready_;
  ready_ = false;
  if (!was_ready) {  // the TLS handshake failed: do not reconnect in a loop, fail what waits
    auto failed = std::move(jobs_);
    jobs_.clear();
    for (auto& j : failed) {
      if (j.timer) home_.cancel(j.timer);
      j.done(j.sent ? 0 : not_sent);
    }
    return;
  }
  std::vector<std::uint64_t> lost;
  for (auto& j : jobs_)
    if (j.sent) lost.push_back(j.id);
  for (auto id : lost) finish(id, 0);
  pump();
}

}  // namespace tr::actors
