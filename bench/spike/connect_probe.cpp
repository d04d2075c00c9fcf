// Spike: what a CAF 0.17 broker sees when it is handed a socket whose nonblocking connect is
// still in progress (abstract_broker::add_scribe(fd)), for three peers:
//   accepting  - a local listener that reads what it gets;
//   refused    - a loopback port nobody listens on;
//   blackhole  - an address that never answers (SYN dropped), given with --blackhole HOST.
// Bytes are written to the scribe right after add_scribe. The broker logs every event with the
// time since the connect started; a delayed message closes the scribe after 1 s (the timeout a
// connection actor would own). Meanwhile a ticker on the same multiplexer proves it never stalls.
#include "sockets.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <chrono>
#include <thread>

using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

namespace {

using clock_type = std::chrono::steady_clock;

long ms_since(clock_type::time_point t0) {
  return (long) std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0)
    .count();
}

caf::behavior probe(caf::io::broker* self, std::string name, std::string host, uint16_t port) {
  auto t0 = clock_type::now();
  int fd = spike::start_connect(host.c_str(), port);
  if (fd < 0) {
    std::printf("%-9s connect() failed at once: %s\n", name.c_str(), std::strerror(errno));
    self->quit();
    return {};
  }
  auto hdl = self->add_scribe(fd);
  self->configure_read(hdl, caf::io::receive_policy::at_most(1024));
  const char hello[] = "hello";
  auto& buf = self->wr_buf(hdl);
  buf.insert(buf.end(), hello, hello + 5);
  self->flush(hdl);
  std::printf("%-9s add_scribe(fd) returned at %ld ms, 5 bytes queued\n", name.c_str(),
              ms_since(t0));
  self->delayed_send(self, std::chrono::seconds(1), timeout_atom::value);
  return {
    [=](const caf::io::new_data_msg& msg) {
      std::printf("%-9s new_data_msg %zu bytes at %ld ms\n", name.c_str(), msg.buf.size(),
                  ms_since(t0));
    },
    [=](const caf::io::connection_closed_msg&) {
      std::printf("%-9s connection_closed_msg at %ld ms\n", name.c_str(), ms_since(t0));
      self->quit();
    },
    [=](timeout_atom) {
      std::printf("%-9s still open after %ld ms: closed by our own timeout\n", name.c_str(),
                  ms_since(t0));
      self->close(hdl);
      self->quit();
    },
  };
}

caf::behavior ticker(caf::io::broker* self, int* ticks) {
  self->send(self, tick_atom::value);
  return {[=](tick_atom) {
    ++*ticks;
    if (*ticks < 120)
      self->delayed_send(self, std::chrono::milliseconds(10), tick_atom::value);
    else
      self->quit();
  }};
}

// The accepting peer: a plain thread that accepts one connection and reports what it read.
void accepting_peer(int listen_fd) {
  int c = ::accept(listen_fd, nullptr, nullptr);
  char buf[64];
  auto n = ::read(c, buf, sizeof(buf));
  std::printf("accepting peer read %zd bytes: %.*s\n", n, (int) (n > 0 ? n : 0), buf);
  ::close(c);
}

} // namespace

int main(int argc, char** argv) {
  std::string blackhole = "10.255.255.1";
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--blackhole") == 0)
      blackhole = argv[i + 1];

  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto sa = spike::loopback(0);
  ::bind(lfd, (sockaddr*) &sa, sizeof(sa));
  ::listen(lfd, 4);
  socklen_t len = sizeof(sa);
  ::getsockname(lfd, (sockaddr*) &sa, &len);
  uint16_t open_port = ntohs(sa.sin_port);
  std::thread peer{accepting_peer, lfd};

  int dead = ::socket(AF_INET, SOCK_STREAM, 0); // bound, never listening: refuses
  auto da = spike::loopback(0);
  ::bind(dead, (sockaddr*) &da, sizeof(da));
  len = sizeof(da);
  ::getsockname(dead, (sockaddr*) &da, &len);
  uint16_t refused_port = ntohs(da.sin_port);

  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  cfg.set("scheduler.max-threads", 1);
  int ticks = 0;
  auto t0 = clock_type::now();
  {
    caf::actor_system system{cfg};
    auto& mm = system.middleman();
    mm.spawn_broker(ticker, &ticks);
    mm.spawn_broker(probe, std::string{"accepting"}, std::string{"127.0.0.1"}, open_port);
    mm.spawn_broker(probe, std::string{"refused"}, std::string{"127.0.0.1"}, refused_port);
    mm.spawn_broker(probe, std::string{"blackhole"}, blackhole, uint16_t{9});
  }
  peer.join();
  std::printf("ticker: %d ticks of 10 ms in %ld ms on the same multiplexer (no stall)\n", ticks,
              ms_since(t0));
  ::close(dead);
  return 0;
}
