// Spike, shape A (CAF-native): one actor_system per shard, each with its own multiplexer thread.
// Per shard: an ingress broker owning an SO_REUSEPORT listener, its accepted connections and
// their h2c server sessions; and connection brokers, each owning one h2c client session to the
// upstream, connected by hand (nonblocking connect) and handed to CAF with add_scribe(fd).
// Every report travels from the ingress broker to a connection broker as a CAF message
// (round-robin over all connection brokers, so with two shards half the hops cross shards).
//
// usage: spike_caf --port P --upstream-port U [--shards N] [--owners K] [--max-in-flight M]
#include "h2_sessions.hpp"
#include "sockets.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <csignal>
#include <map>
#include <memory>
#include <thread>

using report_atom = caf::atom_constant<caf::atom("report")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;

namespace {

struct ingress_state {
  std::map<caf::io::connection_handle, std::unique_ptr<spike::server_session>> sessions;
  std::vector<caf::actor> owners;
  size_t next_owner = 0;
  std::string out;
};

caf::behavior ingress(caf::io::broker* self, int listen_fd, std::vector<caf::actor> owners) {
  auto st = std::make_shared<ingress_state>();
  st->owners = std::move(owners);
  self->add_doorman(listen_fd);
  auto flush_session = [self, st](caf::io::connection_handle hdl, spike::server_session& s) {
    st->out.clear();
    s.output(st->out);
    if (!st->out.empty()) {
      auto& buf = self->wr_buf(hdl);
      buf.insert(buf.end(), st->out.begin(), st->out.end());
      self->flush(hdl);
    }
  };
  return {
    [=](const caf::io::new_connection_msg& msg) {
      auto hdl = msg.handle;
      self->configure_read(hdl, caf::io::receive_policy::at_most(65536));
      auto session = std::make_unique<spike::server_session>([self, st](std::string&& body) {
        auto& to = st->owners[st->next_owner++ % st->owners.size()];
        self->send(to, report_atom::value, std::move(body));
      });
      flush_session(hdl, *session);
      st->sessions.emplace(hdl, std::move(session));
    },
    [=](const caf::io::new_data_msg& msg) {
      auto i = st->sessions.find(msg.handle);
      if (i == st->sessions.end())
        return;
      if (!i->second->feed({msg.buf.data(), msg.buf.size()})) {
        self->close(msg.handle);
        st->sessions.erase(i);
        return;
      }
      flush_session(msg.handle, *i->second);
    },
    [=](const caf::io::connection_closed_msg& msg) { st->sessions.erase(msg.handle); },
    [=](const caf::io::acceptor_closed_msg&) {},
  };
}

struct owner_state {
  std::unique_ptr<spike::client_session> session;
  caf::io::connection_handle hdl;
  bool flush_pending = false;
  bool connected = false;
  std::string out;
};

caf::behavior owner(caf::io::broker* self, uint16_t upstream_port, size_t max_in_flight) {
  auto st = std::make_shared<owner_state>();
  st->session = std::make_unique<spike::client_session>(
    "127.0.0.1:" + std::to_string(upstream_port), max_in_flight);
  int fd = spike::start_connect("127.0.0.1", upstream_port);
  if (fd < 0) {
    std::fprintf(stderr, "connect failed at once\n");
    self->quit();
    return {};
  }
  // The connect is still in progress here; CAF registers the fd and writes once it is writable.
  st->hdl = self->add_scribe(fd);
  st->connected = true;
  self->configure_read(st->hdl, caf::io::receive_policy::at_most(65536));
  auto flush = [self, st] {
    st->out.clear();
    st->session->output(st->out);
    if (!st->out.empty()) {
      auto& buf = self->wr_buf(st->hdl);
      buf.insert(buf.end(), st->out.begin(), st->out.end());
      self->flush(st->hdl);
    }
  };
  flush();
  return {
    [=](report_atom, std::string& body) {
      if (!st->connected) {
        spike::stats.dropped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      st->session->submit(std::move(body));
      // Batch: reports already in the mailbox are submitted before one write.
      if (!st->flush_pending) {
        st->flush_pending = true;
        self->send(self, flush_atom::value);
      }
    },
    [=](flush_atom) {
      st->flush_pending = false;
      flush();
    },
    [=](const caf::io::new_data_msg& msg) {
      if (!st->session->feed({msg.buf.data(), msg.buf.size()})) {
        self->close(st->hdl);
        st->connected = false;
        return;
      }
      flush();
    },
    [=](const caf::io::connection_closed_msg&) {
      std::fprintf(stderr, "upstream connection closed\n");
      st->connected = false;
    },
  };
}

} // namespace

int main(int argc, char** argv) {
  auto port = spike::arg_u16(argc, argv, "--port", 0);
  auto upstream_port = spike::arg_u16(argc, argv, "--upstream-port", 0);
  size_t shards = spike::arg_u16(argc, argv, "--shards", 1);
  if (shards == 0)
    shards = std::thread::hardware_concurrency();
  size_t owners_count = spike::arg_u16(argc, argv, "--owners", (uint16_t) shards);
  size_t max_in_flight = spike::arg_u16(argc, argv, "--max-in-flight", 1000);

  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  std::vector<std::unique_ptr<caf::actor_system_config>> configs;
  std::vector<std::unique_ptr<caf::actor_system>> systems;
  for (size_t i = 0; i < shards; ++i) {
    auto cfg = std::make_unique<caf::actor_system_config>();
    cfg->load<caf::io::middleman>();
    cfg->set("scheduler.max-threads", 1);
    systems.push_back(std::make_unique<caf::actor_system>(*cfg));
    configs.push_back(std::move(cfg));
  }
  std::vector<caf::actor> owners;
  for (size_t k = 0; k < owners_count; ++k)
    owners.push_back(
      systems[k % shards]->middleman().spawn_broker(owner, upstream_port, max_in_flight));
  std::vector<caf::actor> ingresses;
  for (size_t i = 0; i < shards; ++i)
    ingresses.push_back(
      systems[i]->middleman().spawn_broker(ingress, spike::reuseport_listener(port), owners));
  std::printf("ready\n");
  std::fflush(stdout);

  int sig = 0;
  sigwait(&sigs, &sig);
  // ~actor_system waits for every live actor: every broker gets an exit message first.
  for (auto& a : ingresses)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  for (auto& a : owners)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  ingresses.clear();
  owners.clear();
  spike::stats.print("caf");
  systems.clear();
  return 0;
}
