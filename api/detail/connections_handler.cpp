// The connection endpoints of the admin API.

#include <algorithm>

#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"
#include "api/domains.hpp"
#include "api/validation_json.hpp"

namespace tr::api::detail {

namespace {

api_answer connection_answer(int status, const store::connection& value, connection_fields fields) {
  json_out out;
  write_connection(out, value, fields);
  return json_answer(status, out.take());
}

/// Writes a connection the caller sees (`seen` is not hidden) as view_of shows it to it.
void write_seen(json_out& out, const store::user& caller, const store::connection& value,
                visibility seen) {
  if (seen == visibility::full && !may_write(caller)) {
    if (auto masked = view_of(caller, value))
      return write_connection(out, *masked, connection_fields::full);
  }
  write_connection(
      out, value,
      seen == visibility::full ? connection_fields::full : connection_fields::read_only);
}

/// Validates a form and the domains the caller assigns; `previous` are the stored domains.
/// nullopt when the defined domains cannot be read (`failure` holds the answer).
std::optional<connection_validation> check_form(const call& c, const connection_form& form,
                                                const std::vector<store::domain_ref>& previous,
                                                api_answer& failure) {
  auto checked = validate_connection(
      form, {.allow_http = c.options.allow_http, .check_destination = c.options.check_destination});
  auto defined = c.db.list_domains();
  if (!defined) {
    failure = store_failure(defined.error_value());
    return std::nullopt;
  }
  forgive_defined(checked.errors, checked.value.domains, *defined, c.caller, previous);
  // Items whose form already failed are not judged again.
  auto before = checked.errors;
  for (auto& one : check_domain_assignment(c.caller, checked.value.domains, previous, *defined))
    if (one.field == "domains" || !has_item_error(before, one.field))
      merge_errors(checked.errors, {std::move(one)});
  return checked;
}

/// The stored connection the caller may change, or the answer refusing it.
struct modifiable {
  std::optional<store::connection> value;
  api_answer refusal;
};

/// True when the body is not a JSON object at all: that error alone is reported.
bool unreadable(const connection_form& form) {
  return !form.malformed.empty() && form.malformed.front().field == "body";
}

modifiable find_modifiable(const call& c, std::string_view id) {
  auto found = c.db.get_connection(id);
  if (!found) {
    if (found.error_value().code == store::error_code::invalid_argument)
      return {std::nullopt, error_answer(404, "no connection " + std::string{id})};
    return {std::nullopt, store_failure(found.error_value())};
  }
  if (visibility_of(c.caller, *found) == visibility::hidden)
    return {std::nullopt, error_answer(404, "no connection " + std::string{id})};
  if (!may_modify(c.caller, *found))
    return {std::nullopt, error_answer(403, modify_refusal(c.caller, *found))};
  return {std::move(*found), {}};
}

/// Downlinks are found by their AS_ID, so two connections may not share one: the refusal (409,
/// naming the other connection when the caller may see it), or nothing when `as_id` is free.
std::optional<api_answer> as_id_taken(const call& c, const std::string& as_id,
                                      std::string_view own_id) {
  auto same = c.db.connections_with_as_id(as_id);
  if (!same) return store_failure(same.error_value());
  for (const auto& other : *same) {
    if (other.id == own_id) continue;
    std::string who = visibility_of(c.caller, other) == visibility::hidden
                          ? "another connection"
                          : "connection \"" + other.name + "\" (" + other.id + ")";
    return error_answer(409, "asId " + as_id + " is already used by " + who + ": " +
                                 std::string{store::as_id_unique_reason});
  }
  return std::nullopt;
}

}  // namespace

api_answer list_connections(const call& c) {
  auto all = c.db.list_connections();
  if (!all) return store_failure(all.error_value());
  json_out out;
  out.begin_object().key("connections").begin_array();
  for (const auto& one : *all) {
    auto seen = visibility_of(c.caller, one);
    if (seen == visibility::hidden) continue;
    write_seen(out, c.caller, one, seen);
  }
  out.end_array().end_object();
  return json_answer(200, out.take());
}

api_answer create_connection(const call& c) {
  if (!may_write(c.caller)) return error_answer(403, "a viewer changes nothing");
  auto form = parse_connection_form(c.request.body);
  if (unreadable(form)) return field_errors_answer(form.malformed);
  api_answer failure;
  auto checked = check_form(c, form, {}, failure);
  if (!checked) return failure;
  if (!checked->ok()) return field_errors_answer(checked->errors);
  if (auto taken = as_id_taken(c, checked->value.as_id, {})) return *taken;
  auto made = c.db.create_connection(std::move(checked->value));
  if (!made) return store_failure(made.error_value());
  auto out = connection_answer(201, *made, connection_fields::with_key);
  out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

api_answer get_connection(const call& c, std::string_view id) {
  auto found = c.db.get_connection(id);
  if (!found && found.error_value().code != store::error_code::not_found &&
      found.error_value().code != store::error_code::invalid_argument)
    return store_failure(found.error_value());
  auto seen = found ? visibility_of(c.caller, *found) : visibility::hidden;
  if (seen == visibility::hidden) return error_answer(404, "no connection " + std::string{id});
  json_out out;
  write_seen(out, c.caller, *found, seen);
  return json_answer(200, out.take());
}

api_answer update_connection(const call& c, std::string_view id, bool partial) {
  auto given = parse_connection_form(c.request.body);
  if (unreadable(given)) return field_errors_answer(given.malformed);
  // The change is made from the connection as read, and stored only if it is still that one:
  // a write of another replica in between (a PATCH of other fields) is read again and the
  // change made anew over it, never overwritten.
  for (int attempt = 1;; ++attempt) {
    auto existing = find_modifiable(c, id);
    if (!existing.value) return existing.refusal;
    auto form = partial ? form_of(*existing.value) : given;
    if (partial) overlay(form, given);
    // `paused` is the connection's state more than its form: a PUT that leaves it out (a form
    // saved by someone who did not see a pause made meanwhile) keeps it.
    if (!partial && !given.paused) form.paused = existing.value->paused;
    api_answer failure;
    auto checked = check_form(c, form, existing.value->domains, failure);
    if (!checked) return failure;
    if (!checked->ok()) return field_errors_answer(checked->errors);
    checked->value.id = existing.value->id;
    // Only a changed AS_ID is checked: connections stored before this rule stay editable.
    if (checked->value.as_id != existing.value->as_id)
      if (auto taken = as_id_taken(c, checked->value.as_id, checked->value.id)) return *taken;
    auto changed = c.db.update_connection(std::move(checked->value), &*existing.value);
    if (changed) return connection_answer(200, *changed, connection_fields::full);
    if (changed.error_value().code != store::error_code::changed_meanwhile || attempt == 5)
      return store_failure(changed.error_value());
  }
}

api_answer delete_connection(const call& c, std::string_view id) {
  auto existing = find_modifiable(c, id);
  if (!existing.value) return existing.refusal;
  if (auto gone = c.db.delete_connection(existing.value->id); !gone)
    return store_failure(gone.error_value());
  return no_content();
}

api_answer regenerate_key(const call& c, std::string_view id) {
  auto existing = find_modifiable(c, id);
  if (!existing.value) return existing.refusal;
  auto changed = c.db.regenerate_key(existing.value->id);
  if (!changed) return store_failure(changed.error_value());
  json_out out;
  out.begin_object().key("key").string(changed->key).end_object();
  auto answer = json_answer(200, out.take());
  answer.headers.emplace_back("Cache-Control", "no-store");
  return answer;
}

}  // namespace tr::api::detail
