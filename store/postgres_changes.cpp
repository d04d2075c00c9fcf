// tr::store::postgres_database: applying the changes of other replicas.

#include <poll.h>

#include <string>
#include <unordered_map>

#include "logging/log.hpp"
#include "store/detail/postgres_access.hpp"

namespace tr::store {

namespace {

/// Change rows fetched per query; a replica further behind than what was pruned reloads all.
constexpr int batch_rows = 5000;

std::optional<change_kind> parse_kind(std::string_view name) {
  for (auto kind :
       {change_kind::connection_created, change_kind::connection_updated,
        change_kind::connection_deleted, change_kind::key_regenerated, change_kind::device_routed,
        change_kind::device_unrouted, change_kind::devices_imported})
    if (detail::change_kind_name(kind) == name) return kind;
  return std::nullopt;
}

/// Sleeps up to `total`, waking early when `stopping` turns true.
void sleep_unless(const std::atomic<bool>& stopping, std::chrono::milliseconds total) {
  auto until = std::chrono::steady_clock::now() + total;
  while (!stopping && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
}

}  // namespace

void postgres_database::remember_own(std::int64_t g) {
  std::lock_guard lock{own_mutex_};
  uncommitted_own_.insert(g);
}

void postgres_database::forget_own(std::int64_t g) {
  {
    std::lock_guard lock{own_mutex_};
    uncommitted_own_.erase(g);
  }
  own_changed_.notify_all();
}

void postgres_database::publish_own(std::int64_t g, std::vector<change_event> events) {
  std::unique_lock lock{own_mutex_};
  uncommitted_own_.erase(g);
  // Nothing to publish (no change rows: the listener passes over it), or a reload of
  // everything at or after this generation published it already.
  if (events.empty() || applied_.load() >= g) {
    lock.unlock();
    own_changed_.notify_all();
    return;
  }
  committed_own_.emplace(g, std::move(events));
  own_changed_.notify_all();
  auto done = [&] { return !committed_own_.contains(g); };
  auto deadline = std::chrono::steady_clock::now() + own_wait_longest;
  for (;;) {
    if (own_changed_.wait_for(lock, own_wait, [&] { return done() || stopping_; }) && done())
      return;
    // The listener busy (a batch with these events in it, a reload): wait for it while it runs.
    if (!stopping_ && up_ && std::chrono::steady_clock::now() < deadline) continue;
    break;
  }
  // The listener is gone (the server went away after the COMMIT, or the store stops): publish
  // here, and, unless stopping, have everything reloaded once it is back, which puts right a
  // value published out of order.
  auto mine = std::move(committed_own_.at(g));
  committed_own_.erase(g);
  lock.unlock();
  if (!stopping_) reload_needed_ = true;
  publish_ordered(mine);
}

std::optional<std::vector<change_event>> postgres_database::take_own(std::int64_t g) {
  std::unique_lock lock{own_mutex_};
  // Past its COMMIT (its rows are seen), so the hand-over is a moment away.
  bool handed = own_changed_.wait_for(
      lock, own_wait, [&] { return committed_own_.contains(g) || !uncommitted_own_.contains(g); });
  auto found = committed_own_.find(g);
  if (handed && found != committed_own_.end()) return found->second;
  if (!handed || uncommitted_own_.contains(g)) reload_needed_ = true;
  return std::nullopt;
}

void postgres_database::release_own(const std::vector<std::int64_t>& generations) {
  if (generations.empty()) return;
  {
    std::lock_guard lock{own_mutex_};
    for (auto g : generations) committed_own_.erase(g);
  }
  own_changed_.notify_all();
}

void postgres_database::publish_ordered(const std::vector<change_event>& events) {
  if (events.empty()) return;
  std::lock_guard feed{publish_mutex_};
  publishing_thread_.store(std::this_thread::get_id());
  for (const auto& event : events) changes_.publish(event);
  publishing_thread_.store(std::thread::id{});
}

void postgres_database::reload_all(detail::pg_connection& db, std::int64_t generation) {
  std::vector<change_event> events;
  {
    detail::pg_longer_answers reading_everything{db, session_answer};
    detail::pg_transaction scope{db};
    db.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    generation = db.query("SELECT generation FROM cluster_state").integer(0, 0);
    detail::pg_connection_rows rows{db, *keys_};
    for (auto& one : rows.all()) {
      auto shared = std::make_shared<const connection>(std::move(one));
      events.push_back({change_kind::connection_updated, shared->id, shared, nullptr, nullptr});
    }
    auto routes = std::make_shared<const std::vector<device_route>>(detail::all_routes(db));
    events.push_back({change_kind::devices_imported, {}, nullptr, nullptr, routes, true});
    scope.commit();
  }
  // Connections deleted meanwhile: the ones this replica knew that are gone now.
  std::unordered_map<std::string, bool> present;
  for (const auto& event : events)
    if (event.connection) present[event.id] = true;
  for (const auto& id : known_ids_)
    if (!present.contains(id))
      events.push_back({change_kind::connection_deleted, id, nullptr, nullptr, nullptr});
  known_ids_.clear();
  for (const auto& [id, _] : present) known_ids_.insert(id);
  publish_ordered(events);
  // This replica's writes up to `generation` are in what was just published: let them return.
  std::vector<std::int64_t> covered;
  {
    std::lock_guard lock{own_mutex_};
    applied_ = generation;
    for (const auto& [g, _] : committed_own_)
      if (g <= generation) covered.push_back(g);
  }
  release_own(covered);
}

void postgres_database::resync(detail::pg_connection& db) {
  if (!reload_needed_.exchange(false)) return catch_up(db);
  // A write of this replica lost its connection with its outcome unknown: it may have been
  // committed without being published here, and catch_up skips this replica's own changes.
  logging::warning("store: a write's outcome was unknown, reloading everything");
  auto newest = db.query("SELECT generation FROM cluster_state").integer(0, 0);
  reload_all(db, newest);
}

void postgres_database::catch_up(detail::pg_connection& db) {
  for (;;) {
    auto after = applied_.load();
    auto state = db.query("SELECT generation, pruned_through FROM cluster_state");
    auto newest = state.integer(0, 0);
    if (newest <= after) return;
    // The statement above tells whether the server answers; what follows may read every
    // route (an import elsewhere) and is allowed as long as any session's statement.
    detail::pg_longer_answers reading_changes{db, session_answer};
    if (state.integer(0, 1) > after) {
      logging::warning("store: replica was behind the change log, reloading everything");
      reload_all(db, newest);
      return;
    }
    // Up to `newest` only: writes committed after it was read come with the next round (and
    // passing over empty generations below must not skip rows beyond it).
    auto found = db.query(
        "SELECT generation, kind, subject, origin FROM changes "
        "WHERE generation > $1 AND generation <= $2 "
        "ORDER BY generation, position LIMIT " +
            std::to_string(batch_rows),
        {std::to_string(after), std::to_string(newest)});
    // A full batch may end inside a generation: its rows after the limit would be skipped by
    // the next round, which starts after it. So a full batch stops before its last generation
    // (read whole next round); one generation alone over the limit (a bulk creation of many
    // connections) is read by reloading everything.
    int usable = found.rows();
    bool full = usable == batch_rows;
    if (full) {
      auto cut = found.integer(usable - 1, 0);
      if (found.integer(0, 0) == cut) {
        logging::info("store: one change of another replica is larger than a batch, reloading");
        reload_all(db, newest);
        return;
      }
      while (usable > 0 && found.integer(usable - 1, 0) == cut) --usable;
    }
    std::vector<change_event> events;
    std::vector<std::int64_t> own_published;  // this replica's writes among them
    std::int64_t own_seen = -1;
    std::int64_t last = after;
    detail::pg_connection_rows rows{db, *keys_};
    for (int i = 0; i < usable; ++i) {
      auto generation = found.integer(i, 0);
      auto kind = parse_kind(found.text(i, 1));
      std::string subject{found.text(i, 2)};
      bool own = found.text(i, 3) == instance_id_;
      last = generation;
      // A write of this replica: the events it handed over, in their place (once: a write
      // has a row per event).
      if (own && own_seen != generation) {
        own_seen = generation;
        if (auto mine = take_own(generation)) {
          events.insert(events.end(), mine->begin(), mine->end());
          own_published.push_back(generation);
        }
      }
      if (!kind) continue;
      switch (*kind) {
        case change_kind::connection_created:
        case change_kind::connection_updated:
        case change_kind::key_regenerated:
        case change_kind::connection_deleted: {
          // The newest state, not the logged one: later changes in this batch agree with it.
          auto value = rows.find(subject);
          if (value)
            known_ids_.insert(subject);
          else
            known_ids_.erase(subject);
          if (own) break;
          if (!value) {
            events.push_back({change_kind::connection_deleted, subject, nullptr, nullptr, nullptr});
          } else {
            auto as =
                *kind == change_kind::connection_deleted ? change_kind::connection_updated : *kind;
            events.push_back({as, subject, std::make_shared<const connection>(std::move(*value)),
                              nullptr, nullptr});
          }
          break;
        }
        case change_kind::device_routed:
        case change_kind::device_unrouted: {
          if (own) break;
          auto route = detail::route_of(db, subject);
          if (route.connection_ids.empty())
            events.push_back({change_kind::device_unrouted, subject, nullptr, nullptr, nullptr});
          else
            events.push_back({change_kind::device_routed, subject, nullptr,
                              std::make_shared<const device_route>(std::move(route)), nullptr});
          break;
        }
        case change_kind::devices_imported:
          if (own) break;
          events.push_back(
              {change_kind::devices_imported,
               {},
               nullptr,
               nullptr,
               std::make_shared<const std::vector<device_route>>(detail::all_routes(db)),
               true});
          break;
      }
    }
    // Generations without change rows (user writes) are passed over too.
    if (!full) last = newest;
    publish_ordered(events);
    applied_ = last;
    release_own(own_published);
    if (!full) return;
  }
}

void postgres_database::listen_loop() {
  auto backoff = std::chrono::milliseconds{100};
  auto down_since = std::chrono::steady_clock::now();
  bool logged_down = false;
  bool retry_at_once = false;  // a connection the server closed while it answered (a restart)
  while (!stopping_) {
    std::unique_ptr<detail::pg_connection> db;
    try {
      // Its statements are small: an answer that takes longer than this means the server
      // stopped answering, and every other session is told so through up_.
      db = std::make_unique<detail::pg_connection>(url_, detail::pg_limits{listener_answer});
      db->exec(std::string{"LISTEN "} + detail::change_channel);
      resync(*db);
      heartbeat(*db);
      up_ = true;
      if (logged_down) logging::info("store: PostgreSQL reachable again, resynced");
      logged_down = false;
      retry_at_once = true;
      backoff = std::chrono::milliseconds{100};
      auto last_check = std::chrono::steady_clock::now();
      while (!stopping_) {
        // Notifications that came during the last statements wait in libpq's queue, which
        // poll() does not see.
        bool notified = false;
        while (PGnotify* note = PQnotifies(db->handle())) {
          notified = true;
          PQfreemem(note);
        }
        pollfd ready{PQsocket(db->handle()), POLLIN, 0};
        int n = notified ? 0 : ::poll(&ready, 1, 200);
        if (n > 0) {
          if (!PQconsumeInput(db->handle()))
            throw detail::postgres_failure{
                detail::one_line(PQerrorMessage(db->handle())), true, {}};
          while (PGnotify* note = PQnotifies(db->handle())) {
            notified = true;
            PQfreemem(note);
          }
        }
        auto now = std::chrono::steady_clock::now();
        if (notified || now - last_check >= std::chrono::seconds{1}) {
          resync(*db);
          last_check = now;
        }
        heartbeat(*db);
      }
      // Stopping: leave the list of live replicas now rather than when the heartbeat ages out
      // (the others' share of each fuse ceiling grows back within their next heartbeat).
      db->query("DELETE FROM instances WHERE id = $1", {instance_id_});
    } catch (const detail::postgres_failure& failure) {
      // A server that closed the connection (a restart) is tried again at once, the store still
      // counted up: the other sessions' first calls after a restart need not fail. One that did
      // not answer in time (frozen, a hung host) is down now.
      if (retry_at_once && failure.lost && !failure.unanswered && !stopping_) {
        retry_at_once = false;
        continue;
      }
      retry_at_once = false;
      up_ = false;
      auto now = std::chrono::steady_clock::now();
      if (!logged_down) {
        logging::warning("store: PostgreSQL unreachable, retrying with back-off",
                         {{"reason", failure.message}});
        down_since = now;
      }
      logged_down = true;
      sleep_unless(stopping_, backoff);
      // A server that refuses connections (restarting) is asked every 100 ms for its first 5 s
      // down, so that the store is up again soon after it is; then less and less often.
      if (failure.unanswered || now - down_since >= std::chrono::seconds{5})
        backoff = std::min(backoff * 2, std::chrono::milliseconds{5000});
    } catch (const detail::unsealing_failure& failure) {
      logging::error(
          "store: a connection's key does not decrypt with the data key; change "
          "skipped",
          {{"id", failure.connection_id}});
      sleep_unless(stopping_, std::chrono::seconds{1});
    }
  }
}

}  // namespace tr::store
