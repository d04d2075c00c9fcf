#include "app/store_command.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "store/postgres_database.hpp"

namespace tr::app {

namespace {

int usage(const std::string& message) {
  std::fprintf(stderr,
               "tunnel-router: store: %s (usage: tunnel-router store copy --from FILE --to URI "
               "[--force])\n",
               message.c_str());
  return 2;
}

int failed(const std::string& what, const store::error& why) {
  std::fprintf(stderr, "tunnel-router: store copy: %s: %s\n", what.c_str(), why.message.c_str());
  return 1;
}

}  // namespace

int run_store_command(std::span<char* const> args) {
  if (args.empty()) return usage("missing 'copy'");
  if (std::string_view{args[0]} != "copy")
    return usage("unknown subcommand '" + std::string{args[0]} + "'");
  std::string from, to;
  bool force = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--force") {
      force = true;
    } else if ((arg == "--from" || arg == "--to") && i + 1 < args.size()) {
      (arg == "--from" ? from : to) = args[++i];
    } else {
      return usage("unexpected argument '" + std::string{arg} + "'");
    }
  }
  if (from.empty() || to.empty()) return usage("--from and --to are both needed");
  if (!to.starts_with("postgresql://") && !to.starts_with("postgres://"))
    return usage("--to must be a postgresql:// URI");
  if (!std::filesystem::is_regular_file(from)) return usage("--from: no file " + from);

  // The source's key: its data.key when there is one (the variable holds the cluster's key).
  store::open_options source_options{from, {}, {}};
  auto key_file = std::filesystem::path{from}.parent_path() / "data.key";
  if (std::ifstream in{key_file}; in) std::getline(in, source_options.data_key_hex);
  auto source = store::database::open(source_options);
  if (!source) return failed(from, source.error_value());
  auto connections = (*source)->list_connections();
  if (!connections) return failed(from, connections.error_value());
  auto routes = (*source)->list_device_routes();
  if (!routes) return failed(from, routes.error_value());
  auto users = (*source)->list_users();
  if (!users) return failed(from, users.error_value());
  auto groups = (*source)->list_domain_groups();
  if (!groups) return failed(from, groups.error_value());
  auto domains = (*source)->list_domains();
  if (!domains) return failed(from, domains.error_value());

  auto target = store::database::open(store::open_options{{}, {}, to});
  if (!target) return failed("the target", target.error_value());
  auto* shared = dynamic_cast<store::postgres_database*>(target->get());
  if (!shared) return usage("--to must be a postgresql:// URI");
  auto copied = shared->copy_in(*groups, *domains, *connections, *routes, *users, force);
  if (!copied) return failed("the target", copied.error_value());
  std::printf(
      "copied %zu connections, %zu device routes (%zu devices), %zu users, %zu domain groups, "
      "%zu domains\n",
      copied->connections, copied->routes, routes->size(), copied->users, groups->size(),
      domains->size());
  return 0;
}

}  // namespace tr::app
