// tr::store::postgres_database: what replicas share beyond the configuration.

#include <algorithm>
#include <cstdio>

#include "store/detail/downlink_ledger.hpp"
#include "store/detail/postgres_access.hpp"
#include "store/detail/sql_port.hpp"
#include "store/detail/user_rows.hpp"

namespace tr::store {

namespace {

constexpr const char* live_window = "6 seconds";
constexpr auto heartbeat_period = std::chrono::seconds{2};

}  // namespace

void postgres_database::spend_downlink(downlink_check check, downlink_answer answer) {
  ledger_->spend(std::move(check), std::move(answer));
}

void postgres_database::release_downlink(std::string connection_id, std::string token) {
  ledger_->release(std::move(connection_id), std::move(token));
}

void postgres_database::join(std::string host, std::string version) {
  std::lock_guard guard{member_mutex_};
  host_ = std::move(host);
  version_ = std::move(version);
  last_heartbeat_ = {};  // at the listener's next turn
}

void postgres_database::heartbeat(detail::pg_connection& db) {
  std::string host, version;
  {
    std::lock_guard guard{member_mutex_};
    auto now = std::chrono::steady_clock::now();
    if (host_.empty() || now - last_heartbeat_ < heartbeat_period) return;
    last_heartbeat_ = now;
    host = host_;
    version = version_;
  }
  db.query(
      "INSERT INTO instances (id, host, version, started_at, generation, heartbeat_at) "
      "VALUES ($1, $2, $3, now(), $4, now()) "
      "ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, heartbeat_at = now()",
      {instance_id_, host, version, std::to_string(applied_.load())});
  auto live = db.query(std::string{"SELECT count(*) FROM instances WHERE heartbeat_at > now() - "
                                   "interval '"} +
                       live_window + "'");
  live_ = static_cast<std::size_t>(std::max<std::int64_t>(1, live.integer(0, 0)));
  // Housekeeping, cheap when there is nothing to do: replicas gone for a minute, expired
  // downlink tokens (many after a busy minute: allowed longer than the listener's usual wait).
  detail::pg_longer_answers housekeeping{db, session_answer};
  db.exec("DELETE FROM instances WHERE heartbeat_at < now() - interval '1 minute'");
  db.exec("DELETE FROM downlink_tokens WHERE expires_at < now()");
  db.exec(
      "DELETE FROM connection_health h WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = "
      "h.instance_id) OR NOT EXISTS (SELECT 1 FROM connections c WHERE c.id = h.connection_id)");
  // The change log keeps the last 10,000 generations; a replica further behind reloads all.
  auto cut = db.query(
      "UPDATE cluster_state SET pruned_through = generation - 10000 "
      "WHERE generation - 10000 > pruned_through + 1000 RETURNING pruned_through");
  if (cut.rows() > 0)
    db.query("DELETE FROM changes WHERE generation <= $1", {std::string{cut.text(0, 0)}});
}

result<std::vector<instance_info>> postgres_database::live_instances() {
  return read<std::vector<instance_info>>([&](detail::pg_connection& db) {
    auto found = db.query(
        std::string{"SELECT id, host, version, "
                    "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
                    "generation, "
                    "to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
                    "FROM instances WHERE heartbeat_at > now() - interval '"} +
        live_window + "' ORDER BY id COLLATE \"C\"");
    std::vector<instance_info> out;
    for (int i = 0; i < found.rows(); ++i)
      out.push_back({std::string{found.text(i, 0)}, std::string{found.text(i, 1)},
                     std::string{found.text(i, 2)}, std::string{found.text(i, 3)},
                     found.integer(i, 4), std::string{found.text(i, 5)}});
    return out;
  });
}

result<void> postgres_database::publish_health(
    const std::vector<std::pair<std::string, std::string>>& summaries) {
  if (summaries.empty()) return {};
  if (!up_) return error{error_code::unavailable, "PostgreSQL unreachable"};
  // Up to 100 rows per statement, all in one transaction.
  constexpr std::size_t rows_per_statement = 100;
  std::lock_guard guard{health_mutex_};
  try {
    if (!health_ || !health_->still_open()) {
      health_.reset();
      health_ =
          std::make_unique<detail::pg_connection>(url_, detail::pg_limits{session_answer, &up_});
    }
    detail::pg_transaction scope{*health_};
    for (std::size_t first = 0; first < summaries.size(); first += rows_per_statement) {
      auto last = std::min(summaries.size(), first + rows_per_statement);
      std::string sql =
          "INSERT INTO connection_health (connection_id, instance_id, summary, published_at) "
          "VALUES ";
      std::vector<detail::pg_param> params{instance_id_};
      for (auto i = first; i < last; ++i) {
        auto n = params.size();
        sql += (i == first ? "(" : ",(") + ("$" + std::to_string(n + 1)) + ",$1," +
               ("$" + std::to_string(n + 2)) + ",now())";
        params.emplace_back(summaries[i].first);
        params.emplace_back(summaries[i].second);
      }
      sql +=
          " ON CONFLICT (connection_id, instance_id) DO UPDATE SET summary = excluded.summary, "
          "published_at = excluded.published_at";
      health_->query(sql, params);
    }
    scope.commit();
    return {};
  } catch (...) {
    health_.reset();
    return detail::postgres_error(std::current_exception());
  }
}

result<std::vector<published_health>> postgres_database::health_of(std::string_view connection_id) {
  return read<std::vector<published_health>>([&](detail::pg_connection& db) {
    auto found = db.query(std::string{"SELECT h.instance_id, h.summary FROM connection_health h "
                                      "JOIN instances i ON i.id = h.instance_id "
                                      "WHERE h.connection_id = $1 AND h.instance_id <> $2 "
                                      "AND i.heartbeat_at > now() - interval '"} +
                              live_window + "' ORDER BY h.instance_id COLLATE \"C\"",
                          {connection_id, instance_id_});
    std::vector<published_health> out;
    for (int i = 0; i < found.rows(); ++i)
      out.push_back({std::string{found.text(i, 0)}, std::string{found.text(i, 1)}});
    return out;
  });
}

}  // namespace tr::store

namespace tr::store {

result<postgres_database::copied> postgres_database::copy_in(
    const std::vector<domain_group>& groups, const std::vector<domain>& domains,
    const std::vector<connection>& connections, const std::vector<device_route>& routes,
    const std::vector<user>& users, bool replace) {
  return write<copied>([&](detail::pg_connection& db,
                           std::vector<change_event>& events) -> result<copied> {
    auto held = db.query(
        "SELECT (SELECT count(*) FROM connections) + (SELECT count(*) FROM device_routes) + "
        "(SELECT count(*) FROM users)");
    if (held.integer(0, 0) > 0 && !replace)
      return detail::invalid("the target store is not empty (use --force to replace its content)");
    db.exec(
        "DELETE FROM device_routes; DELETE FROM connections; DELETE FROM users; "
        "DELETE FROM domains; DELETE FROM domain_groups; "
        "DELETE FROM meta WHERE name = 'bootstrap_admin'");
    // Groups, then domains parent first (list_domains sorts them so), then their holders.
    for (const auto& one : groups)
      db.query(
          "INSERT INTO domain_groups (name, description, color, created_at) "
          "VALUES ($1, $2, $3, $4)",
          {one.name, one.description, one.color, one.created_at});
    for (const auto& one : domains)
      db.query(
          "INSERT INTO domains (group_name, name, description, active, created_at) "
          "VALUES ($1, $2, $3, $4, $5)",
          {one.group, one.name, one.description, one.active ? "1" : "0", one.created_at});
    detail::pg_connection_rows rows{db, *keys_};
    for (const auto& one : connections) {
      rows.insert(one);
      events.push_back({change_kind::connection_created, one.id,
                        std::make_shared<const connection>(one), nullptr, nullptr});
    }
    copied out;
    out.connections = connections.size();
    for (const auto& route : routes)
      for (const auto& id : route.connection_ids) {
        db.query("INSERT INTO device_routes (dev_eui, connection_id) VALUES ($1, $2)",
                 {route.dev_eui, id});
        ++out.routes;
      }
    events.push_back({change_kind::devices_imported,
                      {},
                      nullptr,
                      nullptr,
                      std::make_shared<const std::vector<device_route>>(routes)});
    detail::pg_port port{db};
    detail::user_rows user_rows{port};
    for (const auto& one : users) user_rows.insert(one);
    out.users = users.size();
    return out;
  });
}

}  // namespace tr::store
