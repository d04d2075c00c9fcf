#include "store/postgres_database.hpp"

#include <cstdio>

#include "store/detail/data_key_source.hpp"
#include "store/detail/domain_rows.hpp"
#include "store/detail/downlink_ledger.hpp"
#include "store/detail/identifiers.hpp"
#include "store/detail/postgres_access.hpp"
#include "store/detail/postgres_schema.hpp"
#include "store/detail/sql_port.hpp"

namespace tr::store {

namespace detail {

error postgres_error(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const postgres_failure& e) {
    if (e.lost) return error{error_code::unavailable, "store unavailable: " + e.message};
    return error{error_code::io_error, "PostgreSQL: " + e.message};
  } catch (const unsealing_failure& e) {
    return error{error_code::wrong_data_key, "the key of connection " + e.connection_id +
                                                 " does not decrypt with the data key"};
  } catch (const std::exception& e) {
    return error{error_code::io_error, e.what()};
  } catch (...) {
    return error{error_code::io_error, "unknown failure"};
  }
}

std::string_view change_kind_name(change_kind kind) noexcept {
  switch (kind) {
    case change_kind::connection_created:
      return "connection_created";
    case change_kind::connection_updated:
      return "connection_updated";
    case change_kind::connection_deleted:
      return "connection_deleted";
    case change_kind::key_regenerated:
      return "key_regenerated";
    case change_kind::device_routed:
      return "device_routed";
    case change_kind::device_unrouted:
      return "device_unrouted";
    case change_kind::devices_imported:
      return "devices_imported";
  }
  return "connection_updated";
}

}  // namespace detail

namespace {

constexpr std::string_view key_check_text = "tunnel-router data key check";
constexpr std::string_view key_check_aad = "meta:data_key_check";

change_event connection_event(change_kind kind, const connection& value) {
  change_event event{kind, value.id, nullptr, nullptr, nullptr};
  if (kind != change_kind::connection_deleted)
    event.connection = std::make_shared<const connection>(value);
  return event;
}

/// Refuses a data key that is not the one the database was first opened with.
result<void> check_data_key(detail::pg_connection& db, const detail::sealer& keys) {
  detail::pg_transaction scope{db};
  db.exec("LOCK TABLE meta IN EXCLUSIVE MODE");
  auto found = db.query("SELECT value FROM meta WHERE name = 'data_key_check'");
  if (found.rows() > 0) {
    if (keys.open(found.bytes(0, 0), key_check_aad) != key_check_text)
      return error{error_code::wrong_data_key,
                   "the data key does not decrypt this database (is TUNNEL_ROUTER_DATA_KEY the "
                   "same on every replica?)"};
    return {};
  }
  db.query("INSERT INTO meta (name, value) VALUES ('data_key_check', $1)",
           {detail::pg_bytes(keys.seal(key_check_text, key_check_aad))});
  scope.commit();
  return {};
}

result<connection> complete_draft(detail::pg_connection_rows& rows, connection draft) {
  if (draft.key.empty()) {
    draft.key = detail::new_key();
  } else if (auto key = detail::normalize_key(draft.key)) {
    draft.key = std::move(*key);
  } else {
    return detail::invalid("the key must be 32 hexadecimal digits");
  }
  do {
    draft.id = detail::new_id();
  } while (rows.exists(draft.id));
  draft.created_at = draft.updated_at = detail::now_iso8601();
  return draft;
}

}  // namespace

postgres_database::postgres_database(std::string url, std::unique_ptr<detail::sealer> keys)
    : database({}), url_(std::move(url)), keys_(std::move(keys)), instance_id_(detail::new_id()) {}

postgres_database::~postgres_database() {
  ledger_.reset();
  {
    std::lock_guard lock{own_mutex_};
    stopping_ = true;  // under own_mutex_: a write waiting for the listener sees it
  }
  own_changed_.notify_all();
  if (listener_.joinable()) listener_.join();
}

result<std::unique_ptr<database>> postgres_database::open(const open_options& options) {
  auto key = detail::load_shared_data_key(options.data_key_hex);
  if (!key) return key.error_value();
  std::unique_ptr<postgres_database> db{
      new postgres_database(options.url, std::make_unique<detail::sealer>(key.value()))};
  try {
    db->session_ = std::make_unique<detail::pg_connection>(
        db->url_, detail::pg_limits{session_answer, &db->up_});
    {
      // A schema step on a large table, or the wait for another replica's, may take long.
      detail::pg_longer_answers migrating{*db->session_, std::chrono::minutes{30}};
      if (auto migrated = detail::migrate_postgres(*db->session_); !migrated)
        return migrated.error_value();
    }
    if (auto checked = check_data_key(*db->session_, *db->keys_); !checked)
      return checked.error_value();
    db->applied_ = db->session_->query("SELECT generation FROM cluster_state").integer(0, 0);
    auto ids = db->session_->query("SELECT id FROM connections");
    for (int i = 0; i < ids.rows(); ++i) db->known_ids_.emplace(ids.text(i, 0));
  } catch (const detail::postgres_failure& e) {
    return error{error_code::unavailable, "cannot open the PostgreSQL store: " + e.message};
  }
  db->ledger_ = std::make_unique<detail::downlink_ledger>(
      db->url_, detail::downlink_ledger::settings{}, db->up_);
  db->listener_ = std::thread{[raw = db.get()] { raw->listen_loop(); }};
  return std::unique_ptr<database>{std::move(db)};
}

detail::pg_connection& postgres_database::session() {
  // Down (the listener's view): fail at once rather than connect and give up.
  if (!up_) throw detail::postgres_failure{"PostgreSQL unreachable", true, {}};
  if (session_ && session_->still_open()) return *session_;
  session_.reset();
  auto now = std::chrono::steady_clock::now();
  // Back off: a server that just refused is not asked again for a second.
  if (now - last_failure_ < std::chrono::seconds{1})
    throw detail::postgres_failure{"the server did not answer a moment ago", true, {}};
  try {
    session_ =
        std::make_unique<detail::pg_connection>(url_, detail::pg_limits{session_answer, &up_});
  } catch (const detail::postgres_failure&) {
    last_failure_ = now;
    throw;
  }
  return *session_;
}

std::int64_t postgres_database::schema_version() {
  std::lock_guard guard{session_mutex_};
  try {
    return detail::postgres_schema_version_of(session());
  } catch (const detail::postgres_failure&) {
    return -1;
  }
}

result<connection> postgres_database::create_connection(connection draft) {
  return write<connection>([&](detail::pg_connection& db, std::vector<change_event>& events) {
    detail::pg_connection_rows rows{db, *keys_};
    detail::pg_port port{db};
    if (auto bad = detail::domain_rows{port}.check_refs(draft.domains))
      return result<connection>{*bad};
    if (auto taken = detail::as_id_in_use(rows, draft.as_id, {})) return result<connection>{*taken};
    auto made = complete_draft(rows, std::move(draft));
    if (!made) return made;
    rows.insert(*made);
    events.push_back(connection_event(change_kind::connection_created, *made));
    return made;
  });
}

result<std::vector<connection>> postgres_database::create_connections(
    std::vector<connection> drafts) {
  using out_type = std::vector<connection>;
  return write<out_type>([&](detail::pg_connection& db, std::vector<change_event>& events) {
    detail::pg_connection_rows rows{db, *keys_};
    out_type made;
    made.reserve(drafts.size());
    detail::pg_port port{db};
    for (auto& draft : drafts) {
      if (auto bad = detail::domain_rows{port}.check_refs(draft.domains))
        return result<out_type>{*bad};
      auto one = complete_draft(rows, std::move(draft));
      if (!one) return result<out_type>{one.error_value()};
      rows.insert(*one);
      events.push_back(connection_event(change_kind::connection_created, *one));
      made.push_back(std::move(*one));
    }
    return result<out_type>{std::move(made)};
  });
}

result<connection> postgres_database::get_connection(std::string_view id) {
  return read<connection>([&](detail::pg_connection& db) -> result<connection> {
    detail::pg_connection_rows rows{db, *keys_};
    if (auto found = rows.find(id)) return std::move(*found);
    return detail::missing("no connection " + std::string{id});
  });
}

result<std::vector<connection>> postgres_database::list_connections() {
  return read<std::vector<connection>>([&](detail::pg_connection& db) {
    detail::pg_connection_rows rows{db, *keys_};
    return rows.all();
  });
}

result<std::vector<connection>> postgres_database::connections_with_as_id(std::string_view as_id) {
  return read<std::vector<connection>>([&](detail::pg_connection& db) {
    detail::pg_connection_rows rows{db, *keys_};
    std::vector<connection> out;
    for (const auto& id : rows.ids_with_as_id(as_id))
      if (auto found = rows.find(id)) out.push_back(std::move(*found));
    return out;
  });
}

result<connection> postgres_database::update_connection(connection changed,
                                                        const connection* based_on) {
  return write<connection>(
      [&](detail::pg_connection& db, std::vector<change_event>& events) -> result<connection> {
        detail::pg_connection_rows rows{db, *keys_};
        auto existing = rows.find(changed.id);
        if (!existing) return detail::missing("no connection " + changed.id);
        if (auto refused = detail::update_refusal(rows, *existing, changed, based_on))
          return *refused;
        detail::pg_port port{db};
        if (auto bad = detail::domain_rows{port}.check_refs(changed.domains)) return *bad;
        if (changed.key.empty()) {
          changed.key = existing->key;
        } else if (auto key = detail::normalize_key(changed.key)) {
          changed.key = std::move(*key);
        } else {
          return detail::invalid("the key must be 32 hexadecimal digits");
        }
        changed.created_at = existing->created_at;
        changed.updated_at = detail::now_iso8601();
        rows.replace(changed);
        events.push_back(connection_event(change_kind::connection_updated, changed));
        return changed;
      });
}

result<void> postgres_database::delete_connection(std::string_view id) {
  return write<void>([&](detail::pg_connection& db,
                         std::vector<change_event>& events) -> result<void> {
    detail::pg_connection_rows rows{db, *keys_};
    if (!rows.erase(id)) return detail::missing("no connection " + std::string{id});
    events.push_back({change_kind::connection_deleted, std::string{id}, nullptr, nullptr, nullptr});
    return {};
  });
}

result<connection> postgres_database::regenerate_key(std::string_view id) {
  return write<connection>(
      [&](detail::pg_connection& db, std::vector<change_event>& events) -> result<connection> {
        detail::pg_connection_rows rows{db, *keys_};
        auto existing = rows.find(id);
        if (!existing) return detail::missing("no connection " + std::string{id});
        existing->key = detail::new_key();
        existing->updated_at = detail::now_iso8601();
        rows.replace(*existing);
        events.push_back(connection_event(change_kind::key_regenerated, *existing));
        return std::move(*existing);
      });
}

}  // namespace tr::store
