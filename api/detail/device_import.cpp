// POST /api/v1/devices:import: NDJSON, one `{"devEUI", "connections"}` per line. Every line is
// checked as a PUT of that device would be; the valid lines are written in one transaction and
// the bad ones listed with their line numbers (from 1; blank lines are skipped): the first
// max_listed_rejections of them, `rejectedCount` counting them all, so that the answer stays
// small whatever the body holds.

#include "api/detail/device_form.hpp"
#include "api/detail/device_rules.hpp"
#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"
#include "api/domains.hpp"

namespace tr::api::detail {

namespace {

struct rejected_line {
  std::size_t line;
  std::string error;
};

constexpr std::size_t max_listed_rejections = 100;

std::string describe(const std::vector<field_error>& errors) {
  std::string out;
  for (const auto& error : errors) {
    if (!out.empty()) out += "; ";
    out += error.field + ": " + error.message;
  }
  return out;
}

/// Checks the lines against the connections and the caller's rights.
class line_checker {
 public:
  line_checker(const call& c, connection_index index) : call_(c), index_(std::move(index)) {}

  /// The route of a line, or why it is refused (in `error`).
  std::optional<store::device_route> check(std::string_view line, std::string& error) {
    auto form = parse_device_form(line);
    auto errors = form.errors;
    std::optional<std::string> dev_eui;
    if (!errors.empty() && errors.front().field == "body") {
      error = describe(errors);
      return std::nullopt;
    }
    if (!form.dev_eui)
      merge_errors(errors, {{"devEUI", "is mandatory"}});
    else if (!(dev_eui = normalize_dev_eui(*form.dev_eui)))
      merge_errors(errors, {{"devEUI", "must be 16 hexadecimal digits"}});
    if (!form.connections) merge_errors(errors, {{"connections", "is mandatory"}});
    auto ids = form.connections.value_or(std::vector<std::string>{});
    auto problems = check_targets(call_.caller, ids, index_);
    merge_errors(errors, problems.errors);
    if (!errors.empty()) {
      error = describe(errors);
      return std::nullopt;
    }
    if (problems.refusal) {
      error = *problems.refusal;
      return std::nullopt;
    }
    if (is_restricted(call_.caller) && !may_change_existing(*dev_eui, error)) return std::nullopt;
    return store::device_route{std::move(*dev_eui), std::move(ids)};
  }

 private:
  bool may_change_existing(const std::string& dev_eui, std::string& error) {
    auto existing = call_.db.get_device_route(dev_eui);
    if (!existing) {
      if (existing.error_value().code == store::error_code::not_found) return true;
      error = "store failure: " + existing.error_value().message;
      return false;
    }
    if (may_change_route(call_.caller, *existing, index_)) return true;
    error = route_refusal(dev_eui);
    return false;
  }

  const call& call_;
  connection_index index_;
};

std::string import_body(std::size_t imported, const std::vector<rejected_line>& rejected,
                        std::size_t rejected_count) {
  json_out out;
  out.begin_object().key("imported").number(static_cast<std::int64_t>(imported));
  out.key("rejected").begin_array();
  for (const auto& one : rejected)
    out.begin_object()
        .key("line")
        .number(static_cast<std::int64_t>(one.line))
        .key("error")
        .string(one.error)
        .end_object();
  out.end_array();
  out.key("rejectedCount").number(static_cast<std::int64_t>(rejected_count));
  out.end_object();
  return out.take();
}

}  // namespace

api_answer import_devices(const call& c) {
  if (!may_write(c.caller)) return error_answer(403, "a viewer changes nothing");
  auto all = c.db.list_connections();
  if (!all) return store_failure(all.error_value());
  connection_index index;
  for (auto& one : *all) index.emplace(one.id, std::move(one));
  line_checker checker{c, std::move(index)};

  std::vector<store::device_route> routes;
  std::vector<rejected_line> rejected;
  std::size_t rejected_count = 0;
  std::string_view rest = c.request.body;
  for (std::size_t number = 1; !rest.empty(); ++number) {
    auto end = rest.find('\n');
    auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string error;
    if (auto route = checker.check(line, error)) {
      routes.push_back(std::move(*route));
    } else if (++rejected_count <= max_listed_rejections) {
      rejected.push_back({number, std::move(error)});
    }
  }

  std::size_t imported = 0;
  if (!routes.empty()) {
    auto written = c.db.import_device_routes(std::move(routes));
    if (!written) {
      if (written.error_value().code == store::error_code::unknown_connection)
        return error_answer(409, written.error_value().message +
                                     " (deleted during the import); nothing was imported");
      return store_failure(written.error_value());
    }
    imported = *written;
  }
  return json_answer(200, import_body(imported, rejected, rejected_count));
}

}  // namespace tr::api::detail
