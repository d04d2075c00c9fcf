#include "api/detail/device_rules.hpp"

#include <algorithm>

#include "api/domains.hpp"

namespace tr::api::detail {

store::result<void> look_up(store::database& db, const std::vector<std::string>& ids,
                            connection_index& index) {
  for (const auto& id : ids) {
    if (index.contains(id)) continue;
    auto found = db.get_connection(id);
    if (found) {
      index.emplace(id, std::move(*found));
    } else if (found.error_value().code != store::error_code::not_found &&
               found.error_value().code != store::error_code::invalid_argument) {
      return found.error_value();
    }
  }
  return {};
}

target_problems check_targets(const store::user& caller, const std::vector<std::string>& ids,
                              const connection_index& index) {
  target_problems out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto path = "connections[" + std::to_string(i) + "]";
    auto found = index.find(ids[i]);
    auto seen = found == index.end() ? visibility::hidden : visibility_of(caller, found->second);
    if (seen == visibility::hidden)
      out.errors.push_back({path, "no connection '" + ids[i] + "'"});
    else if (seen == visibility::read_only && !out.refusal)
      out.refusal = "connection " + ids[i] +
                    " is cross-domain: read-only for users restricted to domains, so devices "
                    "cannot be routed to it";
  }
  return out;
}

namespace {

template <class Predicate>
bool every_connection(const store::device_route& route, const connection_index& index,
                      Predicate allowed) {
  return std::all_of(route.connection_ids.begin(), route.connection_ids.end(),
                     [&](const std::string& id) {
                       auto found = index.find(id);
                       return found == index.end() || allowed(found->second);
                     });
}

}  // namespace

bool may_see_route(const store::user& caller, const store::device_route& route,
                   const connection_index& index) {
  return every_connection(route, index, [&](const store::connection& c) {
    return visibility_of(caller, c) != visibility::hidden;
  });
}

bool may_change_route(const store::user& caller, const store::device_route& route,
                      const connection_index& index) {
  return every_connection(route, index,
                          [&](const store::connection& c) { return may_modify(caller, c); });
}

std::string route_refusal(const std::string& dev_eui) {
  return "DevEUI " + dev_eui + " is routed to connections you may not change";
}

}  // namespace tr::api::detail
