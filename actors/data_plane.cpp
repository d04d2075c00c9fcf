#include "actors/data_plane.hpp"

#include <algorithm>

#include "logging/log.hpp"

namespace tr::actors {

data_plane::data_plane(transport::runtime& runtime, metrics_registry& metrics,
                       uplink_environment environment, connection_defaults defaults,
                       downlink_verifier& downlinks)
    : runtime_(runtime),
      metrics_(metrics),
      environment_(std::move(environment)),
      defaults_(defaults),
      downlinks_(downlinks) {
  environment_.metrics = &metrics_;
  defaults_.max_concurrency = environment_.fuse_params.max_limit;
  environment_.on_crash = [this](const std::string& id) {
    if (restart_request_) restart_request_(id);
  };
  for (std::size_t i = 0; i < runtime_.size(); ++i) {
    auto state = std::make_unique<shard_state>();
    state->reports = std::make_unique<ingress>(
        state->routes, metrics_, [this, i](routing_table::slot slot, const shared_report& report) {
          dispatch(i, slot, report);
        });
    shards_.push_back(std::move(state));
  }
  owner_counts_.assign(runtime_.size(), 0);
}

data_plane::~data_plane() = default;

shard_state& data_plane::local() {
  auto* current = transport::shard::current();
  return *shards_[current ? current->index() : 0];
}

template <class F>
void data_plane::each_shard(F fn) {
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    auto* state = shards_[i].get();
    runtime_.at(i).post([state, fn](transport::shard&) { fn(*state); });
  }
}

void data_plane::dispatch(std::size_t from, routing_table::slot slot, const shared_report& report) {
  auto& state = *shards_[from];
  state.dispatched.store(state.dispatched.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
  if (slot >= state.owners.size() || !state.owners[slot]) {
    // Routed to a connection whose configuration cannot run (see problem_of): shed, counted.
    metrics_.connection(state.routes.id_of(slot))->count(uplink_outcome::shed);
    return;
  }
  auto& owner = state.owners[slot];
  if (owner->home().index() == from) {
    owner->send(report);
    return;
  }
  // Another shard: the parsed report goes as it is (a copy of the pointer, no re-parse there),
  // bounded like the owner's own in-flight window, so that a saturated shard's inbox cannot grow
  // with the ingress rate.
  if (owner->queued.fetch_add(1, std::memory_order_relaxed) >= environment_.fuse_params.max_limit) {
    owner->queued.fetch_sub(1, std::memory_order_relaxed);
    owner->figures().count(uplink_outcome::shed);
    return;
  }
  bool posted = owner->home().post([owner, report](transport::shard&) {
    owner->queued.fetch_sub(1, std::memory_order_relaxed);
    owner->send(report);
  });
  if (!posted) {  // the shard has stopped
    owner->queued.fetch_sub(1, std::memory_order_relaxed);
    owner->figures().count(uplink_outcome::shed);
  }
}

void data_plane::load(const std::vector<store::connection>& connections,
                      const std::vector<store::device_route>& routes) {
  load_connections(connections);
  load_routes(routes);
  finish_load();
}

void data_plane::load_connections(const std::vector<store::connection>& connections) {
  // One post per shard for all of them (10,000 connections used to cost 10,000 posts and
  // wake-ups per shard).
  auto placed = std::make_shared<std::vector<placed_owner>>();
  for (auto& c : connections)
    if (auto owner = upsert_unpublished(c)) placed->push_back(std::move(*owner));
  if (!placed->empty()) publish_owners(std::move(placed));
}

void data_plane::publish_owners(std::shared_ptr<const std::vector<placed_owner>> owners) {
  each_shard([owners](shard_state& state) {
    for (auto& [id, owner] : *owners) {
      auto slot = state.routes.intern(id);
      if (state.owners.size() <= slot) state.owners.resize(slot + 1);
      state.owners[slot] = owner;
    }
  });
}

void data_plane::load_routes(std::vector<store::device_route> batch) {
  auto shared = std::make_shared<const std::vector<store::device_route>>(std::move(batch));
  each_shard([shared](shard_state& state) {
    for (auto& r : *shared)
      if (auto dev = routing_table::parse_dev_eui(r.dev_eui))
        state.routes.add_routes(*dev, r.connection_ids);
  });
}

void data_plane::finish_load() {
  auto waiting = std::make_shared<std::atomic<std::size_t>>(shards_.size());
  each_shard([this, waiting](shard_state&) {
    if (waiting->fetch_sub(1) != 1) return;
    {
      std::lock_guard lock{loaded_mutex_};
      loaded_.store(true, std::memory_order_release);
    }
    loaded_changed_.notify_all();
  });
}

bool data_plane::wait_loaded(std::chrono::milliseconds limit) const {
  std::unique_lock lock{loaded_mutex_};
  loaded_changed_.wait_for(lock, limit, [this] { return loaded() || !load_failure_.empty(); });
  return loaded();
}

void data_plane::fail_load(std::string why) {
  {
    std::lock_guard lock{loaded_mutex_};
    load_failure_ = std::move(why);
  }
  loaded_changed_.notify_all();
}

std::string data_plane::load_failure() const {
  std::lock_guard lock{loaded_mutex_};
  return load_failure_;
}

void data_plane::apply(const store::change_event& event) {
  using store::change_kind;
  switch (event.kind) {
    case change_kind::connection_created:
    case change_kind::connection_updated:
    case change_kind::key_regenerated:
      if (event.connection) upsert(*event.connection);
      break;
    case change_kind::connection_deleted:
      remove(event.id);
      break;
    case change_kind::device_routed:
      if (event.route) set_routes(*event.route);
      break;
    case change_kind::device_unrouted:
      remove_device(event.id);
      break;
    case change_kind::devices_imported:
      if (event.routes) set_many_routes(event.routes, event.complete);
      break;
  }
}

void data_plane::upsert(const store::connection& connection) {
  if (auto owner = upsert_unpublished(connection))
    publish_owners(std::make_shared<const std::vector<placed_owner>>(1, std::move(*owner)));
}

std::optional<data_plane::placed_owner> data_plane::upsert_unpublished(
    const store::connection& connection) {
  auto made = make_connection_config(connection, defaults_);
  auto it = entries_.find(connection.id);
  if (!made.config) {
    // A stored connection the data path cannot run (e.g. http:// without as.allow_http): its
    // reports are shed until it is fixed.
    if (it != entries_.end() && it->second.owner) remove(connection.id);
    entries_[connection.id].problem = made.error;
    metrics_.connection(connection.id)->set_problem(made.error);
    logging::warning(
        "connection cannot run here: its uplinks are shed until it is fixed",
        {{"connection", connection.name}, {"id", connection.id}, {"reason", made.error}});
    return std::nullopt;
  }
  if (it != entries_.end() && it->second.owner) {
    it->second.config = made.config;
    auto owner = it->second.owner;
    runtime_.at(it->second.shard).post([owner, config = made.config](transport::shard&) {
      owner->reconfigure(config);
    });
    downlinks_.upsert_connection(made.config);
    return std::nullopt;
  }
  auto home = choose_shard();
  auto seed = std::hash<std::string>{}(connection.id);
  auto link = make_fuse_ ? make_fuse_(connection.id, environment_.fuse_params, seed)
                         : std::make_shared<local_fuse_link>(environment_.fuse_params, seed);
  auto owner =
      std::make_shared<connection_owner>(runtime_.at(home), made.config, environment_, link);
  link->bind(owner);
  auto figures = metrics_.connection(connection.id);
  figures->set_problem({});  // it may have had one before this change
  entries_[connection.id] = entry{made.config, owner, home, {}, std::move(figures), 0, link};
  {
    std::lock_guard lock{directory_mutex_};
    directory_[connection.id] = owner;
  }
  ++owner_counts_[home];
  downlinks_.upsert_connection(made.config);
  return placed_owner{connection.id, std::move(owner)};
}

void data_plane::remove(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  auto owner = it->second.owner;
  auto shard = it->second.shard;
  if (it->second.fuse) it->second.fuse->close();
  entries_.erase(it);
  {
    std::lock_guard lock{directory_mutex_};
    directory_.erase(id);
  }
  each_shard([id](shard_state& state) {
    if (auto slot = state.routes.find(id); slot && *slot < state.owners.size())
      state.owners[*slot].reset();
    state.routes.remove_connection(id);
  });
  if (owner) {
    runtime_.at(shard).post([owner](transport::shard&) { owner->retire(); });
    --owner_counts_[shard];
  }
  metrics_.remove(id);
  downlinks_.remove_connection(id);
}

void data_plane::set_replicas(std::size_t live) {
  const auto& fuse = environment_.fuse_params;
  auto share = static_cast<std::uint32_t>(fuse.max_limit / std::max<std::size_t>(live, 1));
  share = std::max(share, fuse.min_limit);
  if (share == defaults_.max_concurrency) return;
  defaults_.max_concurrency = share;
  for (auto& [id, e] : entries_) {
    if (!e.config) continue;
    auto changed = std::make_shared<connection_config>(*e.config);
    changed->max_concurrency = share;
    e.config = changed;
    if (!e.owner) continue;
    runtime_.at(e.shard).post(
        [owner = e.owner, changed](transport::shard&) { owner->reconfigure(changed); });
    downlinks_.upsert_connection(changed);
  }
}

void data_plane::set_routes(const store::device_route& route) {
  auto dev_eui = routing_table::parse_dev_eui(route.dev_eui);
  if (!dev_eui) return;
  each_shard([dev = *dev_eui, ids = route.connection_ids](shard_state& state) {
    state.routes.set_routes(dev, ids);
  });
}

void data_plane::set_many_routes(std::shared_ptr<const std::vector<store::device_route>> routes,
                                 bool complete) {
  each_shard([routes, complete](shard_state& state) {
    if (complete) state.routes.clear_devices();
    for (auto& r : *routes)
      if (auto dev = routing_table::parse_dev_eui(r.dev_eui))
        state.routes.set_routes(*dev, r.connection_ids);
  });
}

void data_plane::remove_device(const std::string& dev_eui) {
  auto dev = routing_table::parse_dev_eui(dev_eui);
  if (!dev) return;
  each_shard([d = *dev](shard_state& state) { state.routes.remove_device(d); });
}

std::size_t data_plane::choose_shard() const {
  const auto& counts = owner_counts_;
  std::size_t best = 0;
  std::uint64_t best_busy = UINT64_MAX;
  for (std::size_t i = 0; i < runtime_.size(); ++i) {
    auto busy = const_cast<transport::runtime&>(runtime_).at(i).load().busy_ns_per_second;
    // Shards within 5% of a second of each other count as equally busy: then fewest owners.
    auto bucket = busy / 50'000'000;
    auto best_bucket = best_busy == UINT64_MAX ? UINT64_MAX : best_busy / 50'000'000;
    if (bucket < best_bucket || (bucket == best_bucket && counts[i] < counts[best])) {
      best = i;
      best_busy = busy;
    }
  }
  return best;
}

void data_plane::retire_all() {
  for (auto& [id, e] : entries_) {
    if (!e.owner) continue;
    runtime_.at(e.shard).post([owner = e.owner](transport::shard&) { owner->retire(); });
  }
}

void data_plane::replace_owner(const std::string& id, entry& e, std::size_t to, bool graceful) {
  auto old = e.owner;
  auto from = e.shard;
  auto fresh = std::make_shared<connection_owner>(runtime_.at(to), e.config, environment_, e.fuse);
  e.fuse->bind(fresh);  // the connection's fuse, its learning kept, now answers the new owner
  e.owner = fresh;
  e.shard = to;
  {
    std::lock_guard lock{directory_mutex_};
    directory_[id] = fresh;
  }
  --owner_counts_[from];
  ++owner_counts_[to];
  each_shard([id, fresh](shard_state& state) {
    if (auto slot = state.routes.find(id); slot && *slot < state.owners.size())
      state.owners[*slot] = fresh;
  });
  // A move: the old owner finishes what it sent and hands reports still posted to it to the
  // new one. A restart: the old owner is broken and stops at once.
  runtime_.at(from).post([old, fresh, graceful](transport::shard&) {
    if (graceful)
      old->retire_into(fresh);
    else
      old->retire();
  });
}

bool data_plane::with_owner(std::string_view id, std::function<void(connection_owner&)> fn) {
  std::shared_ptr<connection_owner> owner;
  {
    std::lock_guard lock{directory_mutex_};
    auto it = directory_.find(id);
    if (it == directory_.end()) return false;
    owner = it->second;
  }
  return owner->home().post([owner, fn = std::move(fn)](transport::shard&) { fn(*owner); });
}

void data_plane::move(const std::string& id, std::size_t to) {
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.owner || it->second.shard == to || to >= runtime_.size())
    return;
  replace_owner(id, it->second, to, true);
}

void data_plane::restart(const std::string& id) {
  auto it = entries_.find(id);
  // Only a crashed owner is replaced: one moved since it asked (gathering, spreading) was
  // replaced already, by a healthy owner that must not be stopped.
  if (it == entries_.end() || !it->second.owner || !it->second.owner->crashed()) return;
  if (it->second.figures) it->second.figures->restarts.fetch_add(1, std::memory_order_relaxed);
  replace_owner(id, it->second, it->second.shard, false);
}

std::vector<rebalance_policy::move> data_plane::rebalance() {
  std::vector<double> busy;
  for (std::size_t i = 0; i < runtime_.size(); ++i)
    busy.push_back(static_cast<double>(runtime_.at(i).load().busy_ns_per_second) / 1e9);
  std::vector<rebalance_policy::connection_sample> samples;
  for (auto& [id, e] : entries_) {
    if (!e.owner || !e.figures) continue;
    // Work done for the connection: what was sent. Shed reports cost next to nothing, and a
    // dead AS (fuse open, everything shed) must not look like the busiest connection.
    std::uint64_t total = e.figures->total(uplink_outcome::delivered) +
                          e.figures->total(uplink_outcome::failed) +
                          e.figures->total(uplink_outcome::timeout);
    samples.push_back({id, e.shard, static_cast<double>(total - e.last_total)});
    e.last_total = total;
  }
  std::vector<double> arrivals;
  last_dispatched_.resize(shards_.size());
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    std::uint64_t now = shards_[i]->dispatched.load(std::memory_order_relaxed);
    arrivals.push_back(static_cast<double>(now - last_dispatched_[i]));
    last_dispatched_[i] = now;
  }
  std::vector<rebalance_policy::move> moves;
  if (auto spread = policy_.sample(busy, samples))
    moves.push_back(*spread);
  else
    moves = policy_.gather(busy, arrivals, samples);
  for (auto& m : moves) move(m.id, m.to);
  return moves;
}

bool data_plane::idle(transport::shard& on) {
  for (auto& owner : shards_[on.index()]->owners)
    if (owner && owner->home().index() == on.index() && owner->in_flight() != 0) return false;
  return true;
}

int data_plane::shard_of(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() || !it->second.owner ? -1 : static_cast<int>(it->second.shard);
}

std::string data_plane::problem_of(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? std::string{} : it->second.problem;
}

std::shared_ptr<fuse_link> data_plane::fuse_of(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second.fuse;
}

std::vector<std::size_t> data_plane::owners_per_shard() const {
  return owner_counts_;
}

}  // namespace tr::actors
