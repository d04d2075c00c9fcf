// The device route endpoints of the admin API (the import is in device_import.cpp).

#include "api/detail/device_form.hpp"
#include "api/detail/device_rules.hpp"
#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"
#include "api/domains.hpp"

namespace tr::api::detail {

namespace {

api_answer bad_dev_eui() {
  return field_errors_answer({{"devEUI", "must be 16 hexadecimal digits"}});
}

api_answer route_answer(const store::device_route& route) {
  json_out out;
  write_device_route(out, route);
  return json_answer(200, out.take());
}

api_answer no_route(const std::string& dev_eui) {
  return error_answer(404, "DevEUI " + dev_eui + " has no route");
}

/// The route of a device if the caller may see it; otherwise the answer (404, 500).
struct visible_route {
  std::optional<store::device_route> route;
  connection_index index;
  api_answer refusal;
};

visible_route find_visible_route(const call& c, const std::string& dev_eui) {
  visible_route out;
  auto found = c.db.get_device_route(dev_eui);
  if (!found) {
    out.refusal = found.error_value().code == store::error_code::not_found
                      ? no_route(dev_eui)
                      : store_failure(found.error_value());
    return out;
  }
  if (is_restricted(c.caller)) {
    if (auto looked = look_up(c.db, found->connection_ids, out.index); !looked) {
      out.refusal = store_failure(looked.error_value());
      return out;
    }
    if (!may_see_route(c.caller, *found, out.index)) {
      out.refusal = no_route(dev_eui);
      return out;
    }
  }
  out.route = std::move(*found);
  return out;
}

}  // namespace

api_answer get_device(const call& c, std::string_view dev_eui) {
  auto normalized = normalize_dev_eui(dev_eui);
  if (!normalized) return bad_dev_eui();
  auto found = find_visible_route(c, *normalized);
  if (!found.route) return found.refusal;
  return route_answer(*found.route);
}

api_answer put_device(const call& c, std::string_view dev_eui) {
  if (!may_write(c.caller)) return error_answer(403, "a viewer changes nothing");
  auto normalized = normalize_dev_eui(dev_eui);
  if (!normalized) return bad_dev_eui();
  auto form = parse_device_form(c.request.body);
  auto errors = form.errors;
  if (!errors.empty() && errors.front().field == "body") return field_errors_answer(errors);
  if (form.dev_eui && normalize_dev_eui(*form.dev_eui) != normalized)
    merge_errors(errors, {{"devEUI", "does not match the DevEUI of the path"}});
  if (!form.connections) merge_errors(errors, {{"connections", "is mandatory"}});
  auto ids = form.connections.value_or(std::vector<std::string>{});

  connection_index index;
  if (auto looked = look_up(c.db, ids, index); !looked) return store_failure(looked.error_value());
  auto problems = check_targets(c.caller, ids, index);
  merge_errors(errors, problems.errors);
  if (!errors.empty()) return field_errors_answer(errors);
  if (problems.refusal) return error_answer(403, *problems.refusal);

  if (is_restricted(c.caller)) {
    auto existing = c.db.get_device_route(*normalized);
    if (existing) {
      if (auto looked = look_up(c.db, existing->connection_ids, index); !looked)
        return store_failure(looked.error_value());
      if (!may_change_route(c.caller, *existing, index))
        return error_answer(403, route_refusal(*normalized));
    } else if (existing.error_value().code != store::error_code::not_found) {
      return store_failure(existing.error_value());
    }
  }

  auto written = c.db.put_device_route(*normalized, std::move(ids));
  // A connection deleted (on another replica) between the check above and the write: the
  // same answer as when it was already gone.
  if (!written && written.error_value().code == store::error_code::unknown_connection)
    return field_errors_answer({{"connections", written.error_value().message}});
  if (!written) return store_failure(written.error_value());
  return route_answer(*written);
}

api_answer delete_device(const call& c, std::string_view dev_eui) {
  if (!may_write(c.caller)) return error_answer(403, "a viewer changes nothing");
  auto normalized = normalize_dev_eui(dev_eui);
  if (!normalized) return bad_dev_eui();
  auto found = find_visible_route(c, *normalized);
  if (!found.route) return found.refusal;
  if (is_restricted(c.caller) && !may_change_route(c.caller, *found.route, found.index))
    return error_answer(403, route_refusal(*normalized));
  if (auto gone = c.db.delete_device_route(*normalized); !gone)
    return store_failure(gone.error_value());
  return no_content();
}

}  // namespace tr::api::detail
