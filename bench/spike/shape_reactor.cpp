// Spike, shape B (own reactors): one epoll thread per shard owns its sockets and the nghttp2
// sessions on them. Per shard: an SO_REUSEPORT listener, accepted ingress connections with their
// h2c server sessions, and connection owners (one h2c client session to the upstream each,
// nonblocking connect with a timeout on the shard's timer list). A report goes from the ingress
// session to its owner by a function call when the owner lives on the same shard, else through
// the owner shard's inbox (mutex + vector swap + eventfd, woken only when the inbox was empty).
// Output is written once per loop turn per dirty socket. CAF runs the control plane only: a
// supervisor actor posts a fresh configuration snapshot to every shard every 100 ms.
//
// usage: spike_reactor --port P --upstream-port U [--shards N] [--owners K] [--max-in-flight M]
#include "h2_sessions.hpp"
#include "sockets.hpp"

#include <caf/all.hpp>

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace {

using clock_type = std::chrono::steady_clock;

struct config {
  size_t max_in_flight;
};

struct shard;

struct endpoint {
  virtual ~endpoint() = default;
  virtual void on_event(uint32_t events) = 0;
  virtual void flush() {}
  bool dirty = false;
};

struct connection_owner;

struct report_hop {
  connection_owner* to;
  std::string body;
};

struct shard {
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  size_t index = 0;
  bool stop = false;
  std::shared_ptr<const config> cfg;
  std::vector<endpoint*> dirty;
  std::multimap<clock_type::time_point, std::function<void()>> timers;
  std::vector<std::unique_ptr<endpoint>> endpoints;
  char read_buf[65536];

  std::mutex mtx;
  std::vector<report_hop> inbox;
  std::vector<std::function<void()>> closures;

  /// Cross-shard: hands a report to an owner living on this shard (any thread).
  void post(report_hop&& hop) {
    bool wake;
    {
      std::lock_guard<std::mutex> guard{mtx};
      wake = inbox.empty() && closures.empty();
      inbox.push_back(std::move(hop));
    }
    if (wake) {
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof(one));
    }
  }
  /// Control plane: runs `fn` on this shard's thread (any thread).
  void post(std::function<void()> fn) {
    bool wake;
    {
      std::lock_guard<std::mutex> guard{mtx};
      wake = inbox.empty() && closures.empty();
      closures.push_back(std::move(fn));
    }
    if (wake) {
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof(one));
    }
  }
  void watch(int fd, uint32_t events, endpoint* ep, int op = EPOLL_CTL_ADD) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = ep;
    ::epoll_ctl(epoll_fd, op, fd, &ev);
  }
  void mark_dirty(endpoint* ep) {
    if (!ep->dirty) {
      ep->dirty = true;
      dirty.push_back(ep);
    }
  }
  void run();
};

void deliver(shard& here, report_hop&& hop);

/// Writes `out` from `offset`; true when all was written, false when the socket is full.
bool write_out(int fd, std::string& out, size_t& offset) {
  while (offset < out.size()) {
    auto n = ::write(fd, out.data() + offset, out.size() - offset);
    if (n < 0) {
      if (errno == EAGAIN)
        return false;
      offset = out.size(); // peer gone: drop the output; the read side notices the close
      break;
    }
    offset += (size_t) n;
  }
  out.clear();
  offset = 0;
  return true;
}

struct connection_owner final : endpoint {
  enum class phase { connecting, connected, failed };
  shard* home;
  int fd = -1;
  phase state = phase::connecting;
  spike::client_session session;
  std::string out;
  size_t out_offset = 0;
  bool want_write = true;

  connection_owner(shard* where, uint16_t upstream_port, size_t max_in_flight)
    : home(where), session("127.0.0.1:" + std::to_string(upstream_port), max_in_flight) {
    fd = spike::start_connect("127.0.0.1", upstream_port);
    if (fd < 0) {
      state = phase::failed;
      return;
    }
    home->watch(fd, EPOLLIN | EPOLLOUT, this);
    home->timers.emplace(clock_type::now() + std::chrono::seconds(3), [this] {
      if (state == phase::connecting) {
        std::fprintf(stderr, "upstream connect timed out\n");
        fail();
      }
    });
  }
  void fail() {
    state = phase::failed;
    ::epoll_ctl(home->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
  }
  void submit(std::string&& body) {
    if (state == phase::failed) {
      spike::stats.dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    session.set_max_in_flight(home->cfg->max_in_flight);
    session.submit(std::move(body));
    home->mark_dirty(this);
  }
  void on_event(uint32_t events) override {
    if (state == phase::connecting) {
      if (int err = spike::connect_error(fd); err != 0) {
        std::fprintf(stderr, "upstream connect: %s\n", std::strerror(err));
        fail();
        return;
      }
      state = phase::connected;
    }
    if (events & EPOLLIN) {
      auto n = ::read(fd, home->read_buf, sizeof(home->read_buf));
      if (n == 0 || (n < 0 && errno != EAGAIN) || !session.feed({home->read_buf, (size_t) n})) {
        fail();
        return;
      }
    }
    home->mark_dirty(this);
  }
  void flush() override {
    if (state != phase::connected)
      return;
    session.output(out);
    bool done = write_out(fd, out, out_offset);
    if (done == want_write) { // toggle EPOLLOUT interest only on change
      want_write = !done;
      home->watch(fd, EPOLLIN | (want_write ? EPOLLOUT : 0u), this, EPOLL_CTL_MOD);
    }
  }
};

struct ingress_connection final : endpoint {
  shard* home;
  int fd;
  std::vector<connection_owner*>* owners;
  size_t next_owner = 0;
  spike::server_session session;
  std::string out;
  size_t out_offset = 0;
  bool want_write = false;
  bool closed = false;

  ingress_connection(shard* where, int sock, std::vector<connection_owner*>* all_owners)
    : home(where), fd(sock), owners(all_owners), session([this](std::string&& body) {
        auto* to = (*owners)[next_owner++ % owners->size()];
        deliver(*home, report_hop{to, std::move(body)});
      }) {
    home->watch(fd, EPOLLIN, this);
    home->mark_dirty(this);
  }
  void on_event(uint32_t) override {
    if (closed)
      return;
    auto n = ::read(fd, home->read_buf, sizeof(home->read_buf));
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0 || !session.feed({home->read_buf, (size_t) n})) {
      closed = true;
      ::epoll_ctl(home->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
      ::close(fd); // the object stays until shutdown: good enough for a spike
      return;
    }
    home->mark_dirty(this);
  }
  void flush() override {
    if (closed)
      return;
    session.output(out);
    bool done = write_out(fd, out, out_offset);
    if (done == want_write) {
      want_write = !done;
      home->watch(fd, EPOLLIN | (want_write ? EPOLLOUT : 0u), this, EPOLL_CTL_MOD);
    }
  }
};

struct listener final : endpoint {
  shard* home;
  int fd;
  std::vector<connection_owner*>* owners;
  listener(shard* where, int sock, std::vector<connection_owner*>* all_owners)
    : home(where), fd(sock), owners(all_owners) {
    home->watch(fd, EPOLLIN, this);
  }
  void on_event(uint32_t) override {
    for (;;) {
      int c = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0)
        return;
      int one = 1;
      ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      home->endpoints.push_back(std::make_unique<ingress_connection>(home, c, owners));
    }
  }
};

struct wakeup final : endpoint {
  shard* home;
  explicit wakeup(shard* where) : home(where) { home->watch(home->wake_fd, EPOLLIN, this); }
  void on_event(uint32_t) override {
    uint64_t n;
    [[maybe_unused]] auto r = ::read(home->wake_fd, &n, sizeof(n));
  }
};

void deliver(shard& here, report_hop&& hop) {
  if (hop.to->home == &here) {
    hop.to->submit(std::move(hop.body));
  } else {
    spike::stats.cross_shard.fetch_add(1, std::memory_order_relaxed);
    hop.to->home->post(std::move(hop));
  }
}

void shard::run() {
  epoll_event events[256];
  std::vector<report_hop> hops;
  std::vector<std::function<void()>> fns;
  while (!stop) {
    int timeout = -1;
    if (!timers.empty()) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(timers.begin()->first
                                                                        - clock_type::now());
      timeout = wait.count() < 0 ? 0 : (int) wait.count() + 1;
    }
    int n = ::epoll_wait(epoll_fd, events, 256, timeout);
    for (int i = 0; i < n; ++i)
      static_cast<endpoint*>(events[i].data.ptr)->on_event(events[i].events);
    {
      std::lock_guard<std::mutex> guard{mtx};
      hops.swap(inbox);
      fns.swap(closures);
    }
    for (auto& hop : hops)
      hop.to->submit(std::move(hop.body));
    hops.clear();
    for (auto& fn : fns)
      fn();
    fns.clear();
    auto now = clock_type::now();
    while (!timers.empty() && timers.begin()->first <= now) {
      auto fn = std::move(timers.begin()->second);
      timers.erase(timers.begin());
      fn();
    }
    for (auto* ep : dirty) {
      ep->dirty = false;
      ep->flush();
    }
    dirty.clear();
  }
}

// Control plane: the supervisor replaces the configuration snapshot on every shard.
caf::behavior supervisor(caf::event_based_actor* self, std::vector<shard*> shards) {
  using tick_atom = caf::atom_constant<caf::atom("tick")>;
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      auto snapshot = std::make_shared<const config>(config{1000});
      for (auto* s : shards)
        s->post([s, snapshot] { s->cfg = snapshot; });
      self->delayed_send(self, std::chrono::milliseconds(100), tick_atom::value);
    },
  };
}

} // namespace

int main(int argc, char** argv) {
  auto port = spike::arg_u16(argc, argv, "--port", 0);
  auto upstream_port = spike::arg_u16(argc, argv, "--upstream-port", 0);
  size_t shard_count = spike::arg_u16(argc, argv, "--shards", 1);
  if (shard_count == 0)
    shard_count = std::thread::hardware_concurrency();
  size_t owners_count = spike::arg_u16(argc, argv, "--owners", (uint16_t) shard_count);
  size_t max_in_flight = spike::arg_u16(argc, argv, "--max-in-flight", 1000);

  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  std::vector<std::unique_ptr<shard>> shards;
  std::vector<connection_owner*> owners;
  for (size_t i = 0; i < shard_count; ++i) {
    shards.push_back(std::make_unique<shard>());
    shards.back()->index = i;
    shards.back()->cfg = std::make_shared<const config>(config{max_in_flight});
    shards.back()->endpoints.push_back(std::make_unique<wakeup>(shards.back().get()));
  }
  // Set-up happens before the threads start, so no shard is touched by two threads.
  for (size_t k = 0; k < owners_count; ++k) {
    auto* home = shards[k % shard_count].get();
    auto ow = std::make_unique<connection_owner>(home, upstream_port, max_in_flight);
    owners.push_back(ow.get());
    home->endpoints.push_back(std::move(ow));
  }
  for (auto& s : shards)
    s->endpoints.push_back(
      std::make_unique<listener>(s.get(), spike::reuseport_listener(port), &owners));
  std::vector<std::thread> threads;
  for (auto& s : shards)
    threads.emplace_back([p = s.get()] { p->run(); });

  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  // The work-stealing default polls hard after every wake-up: a 100 ms tick then costs ~13 % of a
  // core. The sharing policy sleeps on a condition variable instead.
  bool stealing = false;
  for (int i = 1; i < argc; ++i)
    stealing = stealing || std::strcmp(argv[i], "--work-stealing") == 0;
  cfg.set("scheduler.policy", stealing ? caf::atom("stealing") : caf::atom("sharing"));
  caf::actor_system system{cfg};
  std::vector<shard*> raw;
  for (auto& s : shards)
    raw.push_back(s.get());
  auto sup = system.spawn(supervisor, raw);
  std::printf("ready\n");
  std::fflush(stdout);

  int sig = 0;
  sigwait(&sigs, &sig);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  for (auto& s : shards)
    s->post([p = s.get()] { p->stop = true; });
  for (auto& t : threads)
    t.join();
  spike::stats.print("reactor");
  return 0;
}
