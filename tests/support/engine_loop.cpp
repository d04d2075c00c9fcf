#include "tests/support/engine_loop.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace tr::test {

struct engine_loop::connection {
  int fd = -1;
  std::unique_ptr<driven> engine;
  bool eof = false;        // the peer closed its side
  bool blocked = false;    // the last write would have blocked
  bool finished = false;   // closed
};

struct engine_loop::listener {
  int fd = -1;
  std::function<std::unique_ptr<driven>()> make;
};

engine_loop::engine_loop() : read_buffer_(64 * 1024) {}

engine_loop::~engine_loop() {
  for (auto& conn : connections_) {
    if (!conn->finished) ::close(conn->fd);
  }
}

void engine_loop::add(int fd, std::unique_ptr<driven> engine) {
  auto conn = std::make_unique<connection>();
  conn->fd = fd;
  conn->engine = std::move(engine);
  connections_.push_back(std::move(conn));
}

void engine_loop::add_listener(int fd, std::function<std::unique_ptr<driven>()> make) {
  auto source = std::make_unique<listener>();
  source->fd = fd;
  source->make = std::move(make);
  listeners_.push_back(std::move(source));
}

void engine_loop::watch(int fd) {
  if (fd >= 0) watched_.push_back(fd);
}

std::size_t engine_loop::open_connections() const {
  return static_cast<std::size_t>(std::count_if(connections_.begin(), connections_.end(),
                                                [](const auto& c) { return !c->finished; }));
}

void engine_loop::flush(connection& conn) {
  conn.blocked = false;
  for (auto out = conn.engine->pending_output(); !out.empty(); out = conn.engine->pending_output()) {
    ssize_t sent = ::send(conn.fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        conn.blocked = true;
      } else if (errno != EINTR) {
        // The peer is gone: the engine learns it as an end of file, then the socket closes.
        if (!conn.eof) conn.engine->receive_eof();
        conn.eof = true;
        conn.engine->consume_output(out.size());
        continue;
      }
      return;
    }
    conn.engine->consume_output(static_cast<std::size_t>(sent));
  }
}

void engine_loop::read(connection& conn) {
  for (;;) {
    ssize_t count = ::recv(conn.fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (count > 0) {
      std::string error_text;
      if (!conn.engine->receive({read_buffer_.data(), static_cast<std::size_t>(count)},
                                error_text)) {
        errors_.push_back(error_text);
      }
      flush(conn);
      continue;
    }
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (count < 0 && errno == EINTR) continue;
    conn.eof = true;  // orderly close, or a reset
    conn.engine->receive_eof();
    flush(conn);
    return;
  }
}

void engine_loop::accept_from(listener& source) {
  for (;;) {
    int fd = ::accept4(source.fd, nullptr, nullptr, SOCK_NONBLOCK);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++accepted_;
    add(fd, source.make());
  }
}

void engine_loop::close_finished() {
  for (auto& conn : connections_) {
    if (conn->finished) continue;
    flush(*conn);
    if (conn->engine->wants_close() && conn->engine->pending_output().empty()) {
      ::close(conn->fd);
      conn->finished = true;
      ++closed_;
    }
  }
}

void engine_loop::step(std::chrono::milliseconds wait) {
  close_finished();
  std::vector<pollfd> entries;
  for (auto& source : listeners_) entries.push_back({source->fd, POLLIN, 0});
  for (auto& conn : connections_) {
    if (conn->finished) continue;
    short events = 0;
    if (!conn->eof) events |= POLLIN;
    if (conn->blocked) events |= POLLOUT;
    entries.push_back({conn->fd, events, 0});
  }
  for (int fd : watched_) entries.push_back({fd, POLLIN, 0});
  ::poll(entries.data(), entries.size(), static_cast<int>(wait.count()));
  std::size_t index = 0;
  for (auto& source : listeners_) {
    if (entries[index++].revents & POLLIN) accept_from(*source);
  }
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    auto& conn = *connections_[i];
    if (conn.finished || index >= entries.size() || entries[index].fd != conn.fd) continue;
    short revents = entries[index++].revents;
    if (revents & (POLLIN | POLLHUP | POLLERR)) read(conn);
    if (revents & POLLOUT) flush(conn);
  }
  close_finished();
}

bool engine_loop::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  close_finished();
  while (!done()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    // Wake-ups come from the sockets and watched descriptors; the cap only bounds how late a
    // condition changed by something else is noticed.
    step(std::min(left, std::chrono::milliseconds(50)));
  }
  return true;
}

bool engine_loop::run_until_all_closed(std::chrono::milliseconds timeout) {
  return run_until([this] { return open_connections() == 0; }, timeout);
}

}  // namespace tr::test
