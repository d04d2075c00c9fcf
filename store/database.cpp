#include "store/database.hpp"
#include "store/postgres_database.hpp"
#include "store/sqlite_database.hpp"

#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "logging/log.hpp"
#include "store/detail/data_key_source.hpp"
#include "store/detail/database_access.hpp"
#include "store/detail/domain_rows.hpp"
#include "store/detail/identifiers.hpp"
#include "store/detail/schema.hpp"
#include "store/detail/sql_port.hpp"

namespace tr::store {

namespace detail {

error to_error(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const sqlite_failure& e) {
    // Locked by another process for longer than the busy timeout (5 s): the store is busy, not
    // broken; the caller may try again (503, like a cluster store that does not answer).
    auto primary = e.code & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
      return error{error_code::unavailable, "SQLite: " + e.message};
    return error{error_code::io_error, "SQLite: " + e.message};
  } catch (const unsealing_failure& e) {
    return error{error_code::wrong_data_key, "the key of connection " + e.connection_id +
                                                 " does not decrypt with the data key"};
  } catch (const std::exception& e) {
    return error{error_code::io_error, e.what()};
  } catch (...) {
    return error{error_code::io_error, "unknown failure"};
  }
}

}  // namespace detail

namespace {

constexpr std::string_view key_check_text = "tunnel-router data key check";
constexpr std::string_view key_check_aad = "meta:data_key_check";

std::shared_ptr<const connection> snapshot(const connection& value) {
  return std::make_shared<const connection>(value);
}

change_event connection_event(change_kind kind, const connection& value) {
  change_event event{kind, value.id, nullptr, nullptr, nullptr};
  if (kind != change_kind::connection_deleted) event.connection = snapshot(value);
  return event;
}

void configure(detail::sqlite_db& db, bool writer) {
  detail::statement mode{db, "PRAGMA journal_mode = WAL"};
  if (!mode.step() || mode.text(0) != "wal")
    throw detail::sqlite_failure{0, "the database cannot use write-ahead logging"};
  db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
  if (!writer) db.exec("PRAGMA query_only = ON");
}

/// Refuses a data key that is not the one the database was created with.
result<void> check_data_key(detail::sqlite_db& db, const detail::sealer& keys) {
  detail::transaction scope{db};
  detail::statement query{db, "SELECT value FROM meta WHERE name = 'data_key_check'"};
  if (query.step()) {
    if (keys.open(query.blob(0), key_check_aad) != key_check_text)
      return error{error_code::wrong_data_key,
                   "the data key does not decrypt this database (was TUNNEL_ROUTER_DATA_KEY or "
                   "data.key changed?)"};
    return {};
  }
  detail::statement insert{db, "INSERT INTO meta (name, value) VALUES ('data_key_check', ?1)"};
  insert.bind_blob(1, keys.seal(key_check_text, key_check_aad)).run();
  scope.commit();
  return {};
}

/// Completes a draft into a new connection: id, key and timestamps.
result<connection> complete_draft(detail::connection_rows& rows, connection draft) {
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

database::~database() = default;

result<void> database::scan_device_routes(std::size_t batch, const route_batch_consumer& consume) {
  auto all = list_device_routes();
  if (!all) return all.error_value();
  std::vector<device_route> part;
  for (auto& route : *all) {
    part.push_back(std::move(route));
    if (part.size() >= batch) consume(std::exchange(part, {}));
  }
  if (!part.empty()) consume(std::move(part));
  return {};
}

result<std::unique_ptr<database>> database::open(const std::filesystem::path& path) {
  return open(open_options{path, {}, {}});
}

result<std::unique_ptr<database>> database::open(const open_options& options) {
  if (!options.url.empty()) return postgres_database::open(options);
  return sqlite_database::open(options);
}

sqlite_database::sqlite_database(std::filesystem::path path, std::unique_ptr<detail::sealer> keys)
    : database(std::move(path)), keys_(std::move(keys)) {}

sqlite_database::~sqlite_database() {
  reader_.reset();
  writer_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

result<std::unique_ptr<database>> sqlite_database::open(const open_options& options) {
  if (options.path.empty()) return detail::invalid("the store path is empty");
  auto folder = options.path.parent_path();
  if (folder.empty()) folder = ".";
  std::error_code failure;
  std::filesystem::create_directories(folder, failure);
  if (failure)
    return error{error_code::io_error,
                 "cannot create the folder " + folder.string() + ": " + failure.message()};
  std::unique_ptr<sqlite_database> db{new sqlite_database(options.path, nullptr)};
  if (options.exclusive) {
    auto lock_path = options.path;
    lock_path += ".lock";
    db->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (db->lock_fd_ < 0)
      return error{error_code::io_error,
                   "cannot open " + lock_path.string() + ": " + std::strerror(errno)};
    if (::flock(db->lock_fd_, LOCK_EX | LOCK_NB) != 0)
      return error{error_code::io_error, options.path.string() +
                                             " is in use by another tunnel-router (it holds " +
                                             lock_path.string() +
                                             "): two routers on one SQLite file would each "
                                             "serve their own view of it"};
  }
  // A new store is created readable by its owner only (URLs and headers hold credentials); SQLite
  // gives its -wal and -shm files the database's mode.
  std::error_code ignored;
  bool fresh = !std::filesystem::exists(options.path, ignored) ||
               std::filesystem::file_size(options.path, ignored) == 0;
  if (fresh) {
    int fd = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::fchmod(fd, 0600);
      ::close(fd);
    }
  }
  // An existing database was sealed with a key: a missing data.key is not replaced by a new one.
  auto key = detail::load_data_key(folder, options.data_key_hex, fresh);
  if (!key) return key.error_value();
  db->keys_ = std::make_unique<detail::sealer>(key.value());
  if (fresh)
    logging::info("store: a new, empty store was created", {{"file", options.path.string()}});
  try {
    db->writer_ = std::make_unique<detail::sqlite_db>(options.path.string());
    configure(*db->writer_, true);
    if (auto migrated = detail::migrate(*db->writer_); !migrated) return migrated.error_value();
    if (auto checked = check_data_key(*db->writer_, *db->keys_); !checked)
      return checked.error_value();
    db->reader_ = std::make_unique<detail::sqlite_db>(options.path.string());
    configure(*db->reader_, false);
    struct stat opened {};
    if (::stat(options.path.c_str(), &opened) == 0) {
      db->file_device_ = opened.st_dev;
      db->file_inode_ = opened.st_ino;
    }
  } catch (const detail::sqlite_failure& e) {
    return error{error_code::io_error, "cannot open " + options.path.string() + ": " + e.message};
  }
  return std::unique_ptr<database>{std::move(db)};
}

std::optional<std::string> sqlite_database::file_problem() const {
  if (file_inode_ == 0) return std::nullopt;
  struct stat now {};
  if (::stat(path().c_str(), &now) != 0)
    return path().string() + " was deleted while the router ran (restart it on the right file)";
  if (static_cast<std::uint64_t>(now.st_dev) != file_device_ ||
      static_cast<std::uint64_t>(now.st_ino) != file_inode_)
    return path().string() + " was replaced while the router ran (restart it to use the new one)";
  return std::nullopt;
}

std::int64_t sqlite_database::schema_version() {
  std::lock_guard guard{read_mutex_};
  try {
    return reader_->query_int("PRAGMA user_version");
  } catch (const detail::sqlite_failure&) {
    return -1;
  }
}

result<connection> sqlite_database::create_connection(connection draft) {
  return write<connection>([&](detail::sqlite_db& db, std::vector<change_event>& events) {
    detail::connection_rows rows{db, *keys_};
    detail::sqlite_port port{db};
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

result<std::vector<connection>> sqlite_database::create_connections(
    std::vector<connection> drafts) {
  using out_type = std::vector<connection>;
  return write<out_type>([&](detail::sqlite_db& db, std::vector<change_event>& events) {
    detail::connection_rows rows{db, *keys_};
    out_type made;
    made.reserve(drafts.size());
    detail::sqlite_port port{db};
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

result<connection> sqlite_database::get_connection(std::string_view id) {
  return read<connection>([&](detail::sqlite_db& db) -> result<connection> {
    detail::connection_rows rows{db, *keys_};
    if (auto found = rows.find(id)) return std::move(*found);
    return detail::missing("no connection " + std::string{id});
  });
}

result<std::vector<connection>> sqlite_database::list_connections() {
  return read<std::vector<connection>>([&](detail::sqlite_db& db) {
    detail::connection_rows rows{db, *keys_};
    return rows.all();
  });
}

result<std::vector<connection>> sqlite_database::connections_with_as_id(std::string_view as_id) {
  return read<std::vector<connection>>([&](detail::sqlite_db& db) {
    detail::connection_rows rows{db, *keys_};
    std::vector<connection> out;
    for (const auto& id : rows.ids_with_as_id(as_id))
      if (auto found = rows.find(id)) out.push_back(std::move(*found));
    return out;
  });
}

result<connection> sqlite_database::update_connection(connection changed,
                                                      const connection* based_on) {
  return write<connection>(
      [&](detail::sqlite_db& db, std::vector<change_event>& events) -> result<connection> {
        detail::connection_rows rows{db, *keys_};
        auto existing = rows.find(changed.id);
        if (!existing) return detail::missing("no connection " + changed.id);
        if (auto refused = detail::update_refusal(rows, *existing, changed, based_on))
          return *refused;
        detail::sqlite_port port{db};
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

result<void> sqlite_database::delete_connection(std::string_view id) {
  return write<void>([&](detail::sqlite_db& db, std::vector<change_event>& events) -> result<void> {
    detail::connection_rows rows{db, *keys_};
    if (!rows.erase(id)) return detail::missing("no connection " + std::string{id});
    events.push_back({change_kind::connection_deleted, std::string{id}, nullptr, nullptr, nullptr});
    return {};
  });
}

result<connection> sqlite_database::regenerate_key(std::string_view id) {
  return write<connection>(
      [&](detail::sqlite_db& db, std::vector<change_event>& events) -> result<connection> {
        detail::connection_rows rows{db, *keys_};
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
