// tr::store::postgres_database: the rows of connections, device routes and users.

#include <algorithm>
#include <unordered_set>

#include "logging/log.hpp"
#include "store/detail/domain_rows.hpp"
#include "store/detail/identifiers.hpp"
#include "store/detail/postgres_access.hpp"
#include "store/detail/sql_port.hpp"
#include "store/detail/user_rows.hpp"

namespace tr::store {

namespace detail {

namespace {

constexpr std::string_view select_columns =
    "SELECT id, name, url, content_type, as_id, additional_info, max_time_deviation_s, "
    "sealed_key, created_at, updated_at, paused FROM connections ";

std::string key_aad(std::string_view id) {
  return "connection-key:" + std::string{id};
}

}  // namespace

connection pg_connection_rows::from_row(const pg_result& rows, int row) const {
  connection out;
  out.id = rows.text(row, 0);
  out.name = rows.text(row, 1);
  out.url = rows.text(row, 2);
  out.type = parse_content_type(rows.text(row, 3)).value_or(content_type::json);
  out.as_id = rows.text(row, 4);
  out.additional_info = rows.text(row, 5);
  out.max_time_deviation_s = rows.integer(row, 6);
  auto key = keys_.open(rows.bytes(row, 7), key_aad(out.id));
  if (!key) throw unsealing_failure{out.id};
  out.key = std::move(*key);
  out.created_at = rows.text(row, 8);
  out.updated_at = rows.text(row, 9);
  out.paused = rows.text(row, 10) == "t";
  return out;
}

std::optional<connection> pg_connection_rows::find(std::string_view id) {
  auto found = db_.query(std::string{select_columns} + "WHERE id = $1", {id});
  if (found.rows() == 0) return std::nullopt;
  auto out = from_row(found, 0);
  auto domains = db_.query(
      "SELECT group_name, domain_name FROM connection_domain_refs WHERE connection_id = $1 "
      "ORDER BY position",
      {id});
  for (int i = 0; i < domains.rows(); ++i)
    out.domains.push_back({std::string{domains.text(i, 0)}, std::string{domains.text(i, 1)}});
  auto headers = db_.query(
      "SELECT name, value FROM connection_headers WHERE connection_id = $1 ORDER BY position",
      {id});
  for (int i = 0; i < headers.rows(); ++i)
    out.headers.push_back({std::string{headers.text(i, 0)}, std::string{headers.text(i, 1)}});
  return out;
}

std::vector<std::string> pg_connection_rows::ids_with_as_id(std::string_view as_id) {
  auto found =
      db_.query("SELECT id FROM connections WHERE as_id = $1 ORDER BY id COLLATE \"C\"", {as_id});
  std::vector<std::string> out;
  for (int i = 0; i < found.rows(); ++i) out.emplace_back(found.text(i, 0));
  return out;
}

std::vector<connection> pg_connection_rows::all() {
  std::vector<connection> out;
  // COLLATE "C": the byte order of SQLite and of std::string, whatever the database's locale.
  auto found = db_.query(std::string{select_columns} + "ORDER BY id COLLATE \"C\"");
  out.reserve(static_cast<std::size_t>(found.rows()));
  for (int i = 0; i < found.rows(); ++i) out.push_back(from_row(found, i));
  auto domains = db_.query(
      "SELECT connection_id, group_name, domain_name FROM connection_domain_refs "
      "ORDER BY connection_id COLLATE \"C\", position");
  auto it = out.begin();
  for (int i = 0; i < domains.rows(); ++i) {
    auto owner = domains.text(i, 0);
    while (it != out.end() && it->id < owner) ++it;
    if (it != out.end() && it->id == owner)
      it->domains.push_back({std::string{domains.text(i, 1)}, std::string{domains.text(i, 2)}});
  }
  auto headers = db_.query(
      "SELECT connection_id, name, value FROM connection_headers "
      "ORDER BY connection_id COLLATE \"C\", position");
  it = out.begin();
  for (int i = 0; i < headers.rows(); ++i) {
    auto owner = headers.text(i, 0);
    while (it != out.end() && it->id < owner) ++it;
    if (it != out.end() && it->id == owner)
      it->headers.push_back({std::string{headers.text(i, 1)}, std::string{headers.text(i, 2)}});
  }
  return out;
}

bool pg_connection_rows::exists(std::string_view id) {
  return db_.query("SELECT 1 FROM connections WHERE id = $1", {id}).rows() > 0;
}

void pg_connection_rows::insert(const connection& value) {
  auto mdt = std::to_string(value.max_time_deviation_s);
  auto sealed = pg_bytes(keys_.seal(value.key, key_aad(value.id)));
  db_.query(
      "INSERT INTO connections (id, name, url, content_type, as_id, additional_info, "
      "max_time_deviation_s, sealed_key, created_at, updated_at, paused) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      {value.id, value.name, value.url, to_string(value.type), value.as_id, value.additional_info,
       mdt, sealed, value.created_at, value.updated_at, value.paused ? "true" : "false"});
  insert_children(value);
}

void pg_connection_rows::replace(const connection& value) {
  auto mdt = std::to_string(value.max_time_deviation_s);
  auto sealed = pg_bytes(keys_.seal(value.key, key_aad(value.id)));
  db_.query(
      "UPDATE connections SET name = $2, url = $3, content_type = $4, as_id = $5, "
      "additional_info = $6, max_time_deviation_s = $7, sealed_key = $8, created_at = $9, "
      "updated_at = $10, paused = $11 WHERE id = $1",
      {value.id, value.name, value.url, to_string(value.type), value.as_id, value.additional_info,
       mdt, sealed, value.created_at, value.updated_at, value.paused ? "true" : "false"});
  db_.query("DELETE FROM connection_domain_refs WHERE connection_id = $1", {value.id});
  db_.query("DELETE FROM connection_headers WHERE connection_id = $1", {value.id});
  insert_children(value);
}

bool pg_connection_rows::erase(std::string_view id) {
  return db_.query("DELETE FROM connections WHERE id = $1", {id}).affected() > 0;
}

void pg_connection_rows::insert_children(const connection& value) {
  for (std::size_t i = 0; i < value.domains.size(); ++i)
    db_.query(
        "INSERT INTO connection_domain_refs (connection_id, position, group_name, domain_name) "
        "VALUES ($1, $2, $3, $4)",
        {value.id, std::to_string(i), value.domains[i].group, value.domains[i].name});
  for (std::size_t i = 0; i < value.headers.size(); ++i)
    db_.query(
        "INSERT INTO connection_headers (connection_id, position, name, value) "
        "VALUES ($1, $2, $3, $4)",
        {value.id, std::to_string(i), value.headers[i].name, value.headers[i].value});
}

std::vector<device_route> all_routes(pg_connection& db) {
  std::vector<device_route> out;
  auto found = db.query(
      "SELECT dev_eui, connection_id FROM device_routes "
      "ORDER BY dev_eui COLLATE \"C\", connection_id COLLATE \"C\"");
  for (int i = 0; i < found.rows(); ++i) {
    auto dev_eui = found.text(i, 0);
    if (out.empty() || out.back().dev_eui != dev_eui) out.push_back({std::string{dev_eui}, {}});
    out.back().connection_ids.emplace_back(found.text(i, 1));
  }
  return out;
}

device_route route_of(pg_connection& db, const std::string& dev_eui) {
  device_route out{dev_eui, {}};
  auto found = db.query(
      "SELECT connection_id FROM device_routes WHERE dev_eui = $1 "
      "ORDER BY connection_id COLLATE \"C\"",
      {dev_eui});
  for (int i = 0; i < found.rows(); ++i) out.connection_ids.emplace_back(found.text(i, 0));
  return out;
}

}  // namespace detail

namespace {

result<device_route> normalize(std::string_view dev_eui, std::vector<std::string> ids) {
  auto normalized = detail::normalize_dev_eui(dev_eui);
  if (!normalized)
    return detail::invalid("DevEUI '" + std::string{dev_eui} + "' is not 16 hexadecimal digits");
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return device_route{std::move(*normalized), std::move(ids)};
}

/// Replaces a device's route; returns the number of rows deleted before.
std::int64_t replace_route(detail::pg_connection& db, const device_route& route) {
  auto deleted =
      db.query("DELETE FROM device_routes WHERE dev_eui = $1", {route.dev_eui}).affected();
  for (const auto& id : route.connection_ids)
    db.query("INSERT INTO device_routes (dev_eui, connection_id) VALUES ($1, $2)",
             {route.dev_eui, id});
  return deleted;
}

error unknown_connection(const device_route& route, const std::string& id) {
  return error{error_code::unknown_connection, "DevEUI " + route.dev_eui + ": no connection " + id};
}

constexpr std::string_view bootstrap_admin_name = "admin";

}  // namespace

result<device_route> postgres_database::put_device_route(std::string_view dev_eui,
                                                         std::vector<std::string> connection_ids) {
  auto route = normalize(dev_eui, std::move(connection_ids));
  if (!route) return route;
  return write<device_route>([&](detail::pg_connection& db,
                                 std::vector<change_event>& events) -> result<device_route> {
    detail::pg_connection_rows rows{db, *keys_};
    for (const auto& id : route->connection_ids)
      if (!rows.exists(id)) return unknown_connection(*route, id);
    auto deleted = replace_route(db, *route);
    if (!route->connection_ids.empty())
      events.push_back({change_kind::device_routed, route->dev_eui, nullptr,
                        std::make_shared<const device_route>(*route), nullptr});
    else if (deleted > 0)
      events.push_back({change_kind::device_unrouted, route->dev_eui, nullptr, nullptr, nullptr});
    return std::move(*route);
  });
}

result<device_route> postgres_database::get_device_route(std::string_view dev_eui) {
  auto route = normalize(dev_eui, {});
  if (!route) return route;
  return read<device_route>([&](detail::pg_connection& db) -> result<device_route> {
    auto found = detail::route_of(db, route->dev_eui);
    if (found.connection_ids.empty())
      return detail::missing("DevEUI " + route->dev_eui + " has no route");
    return found;
  });
}

result<void> postgres_database::delete_device_route(std::string_view dev_eui) {
  auto route = normalize(dev_eui, {});
  if (!route) return route.error_value();
  return write<void>(
      [&](detail::pg_connection& db, std::vector<change_event>& events) -> result<void> {
        if (replace_route(db, *route) == 0)
          return detail::missing("DevEUI " + route->dev_eui + " has no route");
        events.push_back({change_kind::device_unrouted, route->dev_eui, nullptr, nullptr, nullptr});
        return {};
      });
}

result<std::size_t> postgres_database::import_device_routes(std::vector<device_route> routes) {
  auto normalized = std::make_shared<std::vector<device_route>>();
  normalized->reserve(routes.size());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    auto route = normalize(routes[i].dev_eui, std::move(routes[i].connection_ids));
    if (!route)
      return detail::invalid("entry " + std::to_string(i + 1) + ": " + route.error_value().message);
    normalized->push_back(std::move(*route));
  }
  return write<std::size_t>(
      [&](detail::pg_connection& db, std::vector<change_event>& events) -> result<std::size_t> {
        std::unordered_set<std::string> known;
        auto ids = db.query("SELECT id FROM connections");
        for (int i = 0; i < ids.rows(); ++i) known.emplace(ids.text(i, 0));
        for (const auto& route : *normalized)
          for (const auto& id : route.connection_ids)
            if (!known.contains(id)) return unknown_connection(route, id);
        // One statement per batch: unnest the arrays of DevEUIs and of pairs.
        // A later entry for the same device wins: write only the last of each.
        std::unordered_set<std::string_view> seen;
        std::vector<const device_route*> last;
        for (auto it = normalized->rbegin(); it != normalized->rend(); ++it)
          if (seen.insert(it->dev_eui).second) last.push_back(&*it);
        std::string euis = "{", pair_euis = "{", pair_ids = "{";
        for (const auto* one : last) {
          const auto& route = *one;
          euis += route.dev_eui + ",";
          for (const auto& id : route.connection_ids) {
            pair_euis += route.dev_eui + ",";
            pair_ids += id + ",";
          }
        }
        for (auto* text : {&euis, &pair_euis, &pair_ids}) {
          if (text->back() == ',') text->pop_back();
          *text += "}";
        }
        db.query("DELETE FROM device_routes WHERE dev_eui = ANY($1::text[])", {euis});
        db.query(
            "INSERT INTO device_routes (dev_eui, connection_id) "
            "SELECT * FROM unnest($1::text[], $2::text[])",
            {pair_euis, pair_ids});
        events.push_back({change_kind::devices_imported, {}, nullptr, nullptr, normalized});
        return normalized->size();
      });
}

result<std::vector<device_route>> postgres_database::list_device_routes() {
  return read<std::vector<device_route>>(
      [&](detail::pg_connection& db) { return detail::all_routes(db); });
}

result<void> postgres_database::scan_device_routes(std::size_t batch,
                                                   const route_batch_consumer& consume) {
  return read<void>([&](detail::pg_connection& db) -> result<void> {
    // No ORDER BY: sorting a million rows costs the server more than everything else here.
    db.exec(
        "DECLARE route_scan NO SCROLL CURSOR FOR "
        "SELECT dev_eui, connection_id FROM device_routes");
    auto fetch = "FETCH " + std::to_string(std::max<std::size_t>(batch, 1)) + " FROM route_scan";
    for (;;) {
      auto found = db.query(fetch);
      if (found.rows() == 0) break;
      std::vector<device_route> part;
      part.reserve(static_cast<std::size_t>(found.rows()));
      for (int i = 0; i < found.rows(); ++i) {
        auto dev_eui = found.text(i, 0);
        if (part.empty() || part.back().dev_eui != dev_eui)
          part.push_back({std::string{dev_eui}, {}});
        part.back().connection_ids.emplace_back(found.text(i, 1));
      }
      consume(std::move(part));
    }
    db.exec("CLOSE route_scan");
    return {};
  });
}

result<void> postgres_database::run_shared(
    bool write_access, const std::function<result<void>(detail::sql_port&)>& body) {
  if (write_access)
    return write<void>([&](detail::pg_connection& db, std::vector<change_event>&) {
      detail::pg_port port{db};
      return body(port);
    });
  return read<void>([&](detail::pg_connection& db) {
    detail::pg_port port{db};
    return body(port);
  });
}

result<std::optional<std::string>> postgres_database::bootstrap_admin(
    std::string_view configured_token) {
  using out_type = std::optional<std::string>;
  return write<out_type>(
      [&](detail::pg_connection& db, std::vector<change_event>&) -> result<out_type> {
        detail::pg_port port{db};
        detail::user_rows users{port};
        std::optional<user> admin;
        auto meta = db.query("SELECT value FROM meta WHERE name = 'bootstrap_admin'");
        if (meta.rows() > 0) admin = users.find_by_id(meta.bytes(0, 0));
        out_type printed;
        std::string hash;
        if (!configured_token.empty()) {
          hash = detail::token_hash(configured_token);
        } else if (admin) {
          return out_type{};
        } else {
          printed = detail::new_token();
          hash = detail::token_hash(*printed);
        }
        if (admin) {
          // Replicas share one bootstrap admin: a replica started with another admin.token
          // replaces the token, and the old one stops authenticating on every replica. Said,
          // not refused: this is also how the token is changed on purpose.
          if (admin->token_hash != hash)
            logging::warning(
                "admin.token differs from the one the cluster had: it replaces it, and the old "
                "token no longer authenticates on any replica");
          users.make_admin(admin->id, hash);
          return printed;
        }
        auto made = users.insert_new(std::string{bootstrap_admin_name}, role::admin, {}, hash);
        db.query(
            "INSERT INTO meta (name, value) VALUES ('bootstrap_admin', $1) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            {detail::pg_bytes(made.id)});
        return printed;
      });
}

}  // namespace tr::store
