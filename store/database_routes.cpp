// tr::store::database: device routes.

#include <algorithm>
#include <unordered_set>

#include <sqlite3.h>

#include "store/database.hpp"
#include "store/detail/database_access.hpp"
#include "store/detail/identifiers.hpp"

namespace tr::store {

namespace {

/// Normalizes a route: DevEUI upper case, connection ids sorted and unique.
result<device_route> normalize(std::string_view dev_eui, std::vector<std::string> ids) {
  auto normalized = detail::normalize_dev_eui(dev_eui);
  if (!normalized)
    return detail::invalid("DevEUI '" + std::string{dev_eui} + "' is not 16 hexadecimal digits");
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return device_route{std::move(*normalized), std::move(ids)};
}

/// Replaces a device's route with prepared statements (delete, then insert each id).
class route_writer {
 public:
  explicit route_writer(detail::sqlite_db& db)
      : erase_(db, "DELETE FROM device_routes WHERE dev_eui = ?1"),
        insert_(db, "INSERT INTO device_routes (dev_eui, connection_id) VALUES (?1, ?2)"),
        db_(db) {}

  /// Writes the route; returns the number of rows deleted before.
  int replace(const device_route& route) {
    erase_.bind(1, route.dev_eui).run();
    erase_.reset();
    int deleted = sqlite3_changes(db_.handle());
    for (const auto& id : route.connection_ids) {
      insert_.bind(1, route.dev_eui).bind(2, id).run();
      insert_.reset();
    }
    return deleted;
  }

 private:
  detail::statement erase_;
  detail::statement insert_;
  detail::sqlite_db& db_;
};

error unknown_connection(const device_route& route, const std::string& id) {
  return error{error_code::unknown_connection, "DevEUI " + route.dev_eui + ": no connection " + id};
}

}  // namespace

result<device_route> sqlite_database::put_device_route(std::string_view dev_eui,
                                                std::vector<std::string> connection_ids) {
  auto route = normalize(dev_eui, std::move(connection_ids));
  if (!route) return route;
  return write<device_route>([&](detail::sqlite_db& db,
                                 std::vector<change_event>& events) -> result<device_route> {
    detail::connection_rows rows{db, *keys_};
    for (const auto& id : route->connection_ids)
      if (!rows.exists(id)) return unknown_connection(*route, id);
    route_writer writer{db};
    int deleted = writer.replace(*route);
    if (!route->connection_ids.empty())
      events.push_back({change_kind::device_routed, route->dev_eui, nullptr,
                        std::make_shared<const device_route>(*route), nullptr});
    else if (deleted > 0)
      events.push_back({change_kind::device_unrouted, route->dev_eui, nullptr, nullptr, nullptr});
    return std::move(*route);
  });
}

result<device_route> sqlite_database::get_device_route(std::string_view dev_eui) {
  auto route = normalize(dev_eui, {});
  if (!route) return route;
  return read<device_route>([&](detail::sqlite_db& db) -> result<device_route> {
    detail::statement query{
        db, "SELECT connection_id FROM device_routes WHERE dev_eui = ?1 ORDER BY connection_id"};
    query.bind(1, route->dev_eui);
    while (query.step()) route->connection_ids.emplace_back(query.text(0));
    if (route->connection_ids.empty())
      return detail::missing("DevEUI " + route->dev_eui + " has no route");
    return std::move(*route);
  });
}

result<void> sqlite_database::delete_device_route(std::string_view dev_eui) {
  auto route = normalize(dev_eui, {});
  if (!route) return route.error_value();
  return write<void>([&](detail::sqlite_db& db, std::vector<change_event>& events) -> result<void> {
    route_writer writer{db};
    if (writer.replace(*route) == 0)
      return detail::missing("DevEUI " + route->dev_eui + " has no route");
    events.push_back({change_kind::device_unrouted, route->dev_eui, nullptr, nullptr, nullptr});
    return {};
  });
}

result<std::size_t> sqlite_database::import_device_routes(std::vector<device_route> routes) {
  auto normalized = std::make_shared<std::vector<device_route>>();
  normalized->reserve(routes.size());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    auto route = normalize(routes[i].dev_eui, std::move(routes[i].connection_ids));
    if (!route)
      return detail::invalid("entry " + std::to_string(i + 1) + ": " + route.error_value().message);
    normalized->push_back(std::move(*route));
  }
  return write<std::size_t>(
      [&](detail::sqlite_db& db, std::vector<change_event>& events) -> result<std::size_t> {
        std::unordered_set<std::string> known;
        detail::statement ids{db, "SELECT id FROM connections"};
        while (ids.step()) known.emplace(ids.text(0));
        route_writer writer{db};
        for (const auto& route : *normalized) {
          for (const auto& id : route.connection_ids)
            if (!known.contains(id)) return unknown_connection(route, id);
          writer.replace(route);
        }
        events.push_back({change_kind::devices_imported, {}, nullptr, nullptr, normalized});
        return normalized->size();
      });
}

result<std::vector<device_route>> sqlite_database::list_device_routes() {
  return read<std::vector<device_route>>([&](detail::sqlite_db& db) {
    std::vector<device_route> out;
    detail::statement query{
        db, "SELECT dev_eui, connection_id FROM device_routes ORDER BY dev_eui, connection_id"};
    while (query.step()) {
      auto dev_eui = query.text(0);
      if (out.empty() || out.back().dev_eui != dev_eui) out.push_back({std::string{dev_eui}, {}});
      out.back().connection_ids.emplace_back(query.text(1));
    }
    return out;
  });
}

}  // namespace tr::store
