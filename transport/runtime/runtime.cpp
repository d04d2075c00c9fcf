#include "transport/runtime/runtime.hpp"

#include <netdb.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <latch>
#include <stdexcept>
#include <thread>

#include "transport/runtime/detail/io_slot.hpp"
#include "transport/runtime/detail/resolver.hpp"

namespace tr::transport {

namespace {

std::size_t shard_count(std::size_t wanted) {
  if (wanted != 0) return wanted;
  std::size_t cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

/// The CPUs this process may run on, in order.
std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

/// The address to bind: numeric directly, a name through getaddrinfo (set-up time only).
std::optional<socket_address> bind_address(std::string_view host, std::uint16_t port, int& error) {
  if (host.empty()) host = "0.0.0.0";
  if (auto numeric = parse_numeric_address(host, port)) return numeric;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string name{host};
  error = getaddrinfo(name.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (error != 0) return std::nullopt;
  socket_address address;
  std::memcpy(&address.storage, found->ai_addr, found->ai_addrlen);
  address.size = found->ai_addrlen;
  freeaddrinfo(found);
  return address;
}

}  // namespace

runtime::runtime(std::size_t shards)
    : runtime([shards] {
        runtime_options options;
        options.shards = shards;
        return options;
      }()) {}

runtime::runtime(runtime_options options)
    : options_(std::move(options)), resolver_(std::make_unique<detail::resolver>()) {
  std::size_t count = shard_count(options_.shards);
  shards_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    shards_.push_back(std::unique_ptr<shard>(new shard(*this, i, options_.shard)));
  }
}

runtime::~runtime() {
  stop();
  resolver_->stop();
  // Listeners that never reached a running shard.
  std::lock_guard guard{listeners_mutex_};
  for (auto& listener : listeners_) listener->close_once();
}

void runtime::start() {
  if (started_) return;
  started_ = true;
  std::vector<int> cpus = options_.pin_threads ? allowed_cpus() : std::vector<int>{};
  running_ = true;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    shards_[i]->start(cpus.empty() ? -1 : cpus[i % cpus.size()]);
  }
}

bool runtime::on_own_shard() const {
  shard* here = shard::current();
  return here && &here->owner() == this;
}

void runtime::stop() {
  if (on_own_shard()) throw std::logic_error("runtime::stop() called from one of its shards");
  if (!running_.exchange(false)) return;
  for (auto& each : shards_) each->request_stop();
  for (auto& each : shards_) each->join();
  resolver_->stop();
}

bool runtime::drain_and_stop(std::chrono::milliseconds deadline, std::function<bool(shard&)> idle) {
  bool drained = drain(deadline, std::move(idle));
  stop();
  return drained;
}

bool runtime::drain(std::chrono::milliseconds deadline, std::function<bool(shard&)> idle) {
  if (on_own_shard()) {
    throw std::logic_error("runtime::drain() called from one of its shards");
  }
  if (!running_) return true;
  auto until = std::chrono::steady_clock::now() + deadline;
  stop_accepting();
  {
    std::lock_guard guard{drain_mutex_};
    drained_shards_ = 0;
  }
  for (auto& each : shards_) {
    each->post([idle](shard& on) { on.begin_drain(idle); });
  }
  bool drained;
  {
    std::unique_lock lock{drain_mutex_};
    drained =
        drain_done_.wait_until(lock, until, [this] { return drained_shards_ == shards_.size(); });
  }
  return drained;
}

void runtime::shard_drained() {
  std::lock_guard guard{drain_mutex_};
  ++drained_shards_;
  drain_done_.notify_all();
}

shard& runtime::least_loaded() {
  std::size_t count = shards_.size();
  std::size_t start = next_placement_.fetch_add(1, std::memory_order_relaxed) % count;
  shard* best = shards_[start].get();
  std::uint64_t best_load = best->load().connections;
  for (std::size_t step = 1; step < count && best_load != 0; ++step) {
    shard* candidate = shards_[(start + step) % count].get();
    std::uint64_t load = candidate->load().connections;
    if (load < best_load) {
      best = candidate;
      best_load = load;
    }
  }
  return *best;
}

shard* runtime::first_light_shard() {
  if (shards_.size() < 2) return nullptr;
  std::vector<double> busy;
  for (auto& each : shards_) busy.push_back(each->cooling_down() ? 1.0 : each->recent_busy());
  auto first = options_.placement.first_light(busy);
  return first ? shards_[*first].get() : nullptr;
}

shard& runtime::place_connection(bool follow_load) {
  shard* light = follow_load ? first_light_shard() : nullptr;
  shard& target = light ? *light : least_loaded();
  target.incoming_.fetch_add(1, std::memory_order_relaxed);
  return target;
}

bool runtime::may_hand_off(shard::clock::time_point now) {
  std::int64_t at = now.time_since_epoch().count();
  std::int64_t next = next_hand_off_ns_.load(std::memory_order_relaxed);
  if (at < next) return false;
  auto settle = std::chrono::duration_cast<shard::clock::duration>(options_.placement.settle);
  return next_hand_off_ns_.compare_exchange_strong(next, at + settle.count(),
                                                   std::memory_order_relaxed);
}

listen_result runtime::listen(std::string_view host, std::uint16_t port, connection_factory factory,
                              bool follow_load) {
  listen_result result;
  int lookup_error = 0;
  auto address = bind_address(host, port, lookup_error);
  if (!address) {
    result.status = {io_failure::resolve_failed, lookup_error};
    return result;
  }
  socket listening{::socket(address->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  int one = 1;
  if (!listening || setsockopt(listening.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(listening.get(), address->data(), address->size) != 0 ||
      ::listen(listening.get(), SOMAXCONN) != 0) {
    result.status = {io_failure::system, errno};
    return result;
  }
  auto bound = local_address(listening.get());
  result.port = bound ? bound->port() : port;

  auto listener = std::make_shared<detail::listener_state>();
  listener->factory = std::move(factory);
  listener->follow_load = follow_load;
  {
    std::lock_guard guard{listeners_mutex_};
    listener->home = shards_[next_accepting_++ % shards_.size()].get();
    listener->fd = listening.release();
    listeners_.push_back(listener);
  }
  listener->home->post([listener](shard& on) { on.add_listener(listener); });
  return result;
}

void runtime::stop_accepting() {
  std::vector<std::shared_ptr<detail::listener_state>> closing;
  {
    std::lock_guard guard{listeners_mutex_};
    closing.swap(listeners_);
  }
  if (closing.empty()) return;
  if (!running_) {
    for (auto& listener : closing) listener->close_once();
    return;
  }
  // Counts down when the closure is destroyed: after it ran, or unrun if the shard stopped.
  struct count_down_when_done {
    std::shared_ptr<std::latch> latch;
    count_down_when_done(std::shared_ptr<std::latch> target) : latch(std::move(target)) {}
    count_down_when_done(count_down_when_done&& other) noexcept = default;
    ~count_down_when_done() {
      if (latch) latch->count_down();
    }
  };
  auto closed = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(closing.size()));
  for (auto& listener : closing) {
    listener->home->post([listener, done = count_down_when_done{closed}](shard& on) {
      on.remove_listener(listener);
    });
  }
  if (!on_own_shard()) closed->wait();
  // Not running any more: whatever was not closed on a shard is closed here.
  for (auto& listener : closing) listener->close_once();
}

}  // namespace tr::transport
