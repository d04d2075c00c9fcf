#include "tests/app/test_as.hpp"

#include <stdexcept>

#include "transport/tls_context.hpp"

namespace tr::test {

std::string test_as::received::header(const std::string& name) const {
  for (auto& [n, v] : headers)
    if (n == name) return v;
  return {};
}

test_as::test_as(const std::string& cert, const std::string& key, std::vector<std::string> alpn,
                 std::uint16_t port) {
  transport::http_listener_options options;
  options.host = "127.0.0.1";
  options.port = port;
  if (!cert.empty()) {
    transport::tls_server_config tls;
    tls.certificate_file = cert;
    tls.private_key_file = key;
    tls.alpn = std::move(alpn);
    auto made = transport::tls_context::server(tls);
    if (!made) throw std::runtime_error("test AS TLS: " + made.error_value().message());
    options.tls = *made;
  }
  runtime_.start();
  auto bound = transport::listen_http(
      runtime_, options,
      [this](const transport::request_origin& origin, transport::http_server_connection& connection,
             const transport::request& request) {
        received r;
        r.method = request.method;
        r.path = request.path;
        r.query = request.query;
        r.body = transport::as_text(request.body);
        r.http2 = connection.version() == transport::http_version::http2;
        for (auto& h : request.headers)
          r.headers.emplace_back(std::string{h.name}, std::string{h.value});
        int status;
        std::chrono::milliseconds delay;
        bool hang;
        {
          std::lock_guard lock{mutex_};
          requests_.push_back(std::move(r));
          status = status_;
          delay = delay_;
          hang = hang_;
        }
        arrived_.notify_all();
        if (hang) return;  // the stream stays open, unanswered, until the router gives up
        if (delay.count() == 0)
          return transport::respond_now(connection, origin.stream, status, "text/plain", "ok");
        origin.home->schedule(
            delay, [origin, status] { transport::respond_later(origin, status, {}, "late"); });
      });
  if (!bound) throw std::runtime_error("test AS listen: " + bound.status.message());
  port_ = bound.port;
}

test_as::~test_as() {
  runtime_.stop();
}

void test_as::set_status(int status) {
  std::lock_guard lock{mutex_};
  status_ = status;
}

void test_as::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock{mutex_};
  delay_ = delay;
}

void test_as::set_hang(bool hang) {
  std::lock_guard lock{mutex_};
  hang_ = hang;
}

bool test_as::wait_for(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock{mutex_};
  return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

std::vector<test_as::received> test_as::requests() const {
  std::lock_guard lock{mutex_};
  return requests_;
}

std::size_t test_as::count() const {
  std::lock_guard lock{mutex_};
  return requests_.size();
}

}  // namespace tr::test
