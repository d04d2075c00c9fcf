#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "store/database.hpp"

namespace tr::store {

namespace detail {
class sealer;
class sqlite_db;
}  // namespace detail

/// The store in one SQLite file: the embedded default of a single node.
///
/// Durability: WAL with `synchronous=FULL`, so a write acknowledged (the call returned success)
/// survives a process kill and a power loss; `NORMAL` would survive the kill but could lose the
/// last commits on power loss.
///
/// Writes are serialized on one SQLite connection; reads use a second connection and run
/// alongside writes (WAL snapshots).
class sqlite_database final : public database {
 public:
  /// Opens (creating and migrating) the store at `options.path`.
  static result<std::unique_ptr<database>> open(const open_options& options);

  ~sqlite_database() override;

  result<connection> create_connection(connection draft) override;
  result<std::vector<connection>> create_connections(std::vector<connection> drafts) override;
  result<connection> get_connection(std::string_view id) override;
  result<std::vector<connection>> list_connections() override;
  result<std::vector<connection>> connections_with_as_id(std::string_view as_id) override;
  result<connection> update_connection(connection changed,
                                       const connection* based_on = nullptr) override;
  result<void> delete_connection(std::string_view id) override;
  result<connection> regenerate_key(std::string_view id) override;

  result<device_route> put_device_route(std::string_view dev_eui,
                                        std::vector<std::string> connection_ids) override;
  result<device_route> get_device_route(std::string_view dev_eui) override;
  result<void> delete_device_route(std::string_view dev_eui) override;
  result<std::size_t> import_device_routes(std::vector<device_route> routes) override;
  result<std::vector<device_route>> list_device_routes() override;

  result<std::optional<std::string>> bootstrap_admin(std::string_view configured_token) override;

  std::int64_t schema_version() override;

 protected:
  result<void> run_shared(bool write,
                          const std::function<result<void>(detail::sql_port&)>& body) override;

 private:
  sqlite_database(std::filesystem::path path, std::unique_ptr<detail::sealer> keys);

  /// Runs `body` in one write transaction, then publishes the events it collected.
  template <class T, class Body>
  result<T> write(Body&& body);

  /// Runs `body` in one read snapshot on the reading connection.
  template <class T, class Body>
  result<T> read(Body&& body);

  std::unique_ptr<detail::sealer> keys_;
  std::unique_ptr<detail::sqlite_db> writer_;
  std::unique_ptr<detail::sqlite_db> reader_;
  int lock_fd_ = -1;  ///< `<path>.lock`, flocked while open (open_options::exclusive)
  std::uint64_t file_device_ = 0, file_inode_ = 0;  ///< the database file as opened

  /// Why the file at the store's path is no longer the one open (deleted, replaced), or nullopt.
  std::optional<std::string> file_problem() const;
  std::mutex write_mutex_;
  std::mutex read_mutex_;
  std::atomic<std::thread::id> publishing_thread_{};
};

}  // namespace tr::store
