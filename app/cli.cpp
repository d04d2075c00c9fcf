#include "app/cli.hpp"

#include <algorithm>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "app/demo_command.hpp"
#include "app/help.hpp"
#include "app/serve_command.hpp"
#include "app/store_command.hpp"
#include "app/token_command.hpp"
#include "tr/version.hpp"

namespace tr::app {

namespace {

constexpr int exit_usage = 2;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "tunnel-router: %s (see 'tunnel-router help')\n", message.c_str());
  return exit_usage;
}

bool asks_for_help(std::string_view word) {
  return word == "--help" || word == "-h";
}

/// `help [COMMAND]`: the overview, or one command's help.
int run_help(std::span<char* const> words) {
  std::string command;
  for (auto* word : words) {
    if (!command.empty()) command += ' ';
    command += word;
  }
  if (asks_for_help(command)) command = "help";  // `help --help`
  if (command.empty()) {
    print_overview();
    return 0;
  }
  if (!print_command_help(command)) return usage_error("help: unknown command '" + command + "'");
  return 0;
}

}  // namespace

command_options::command_options(std::span<char* const> args,
                                 std::initializer_list<std::string_view> known) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with('-')) {
      problem_ = "unexpected argument '" + std::string(arg) + "'";
      return;
    }
    std::string_view name = arg.substr(0, arg.find('='));
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      problem_ = "unknown option '" + std::string(name) + "'";
      return;
    }
    std::string_view value;
    if (name.size() < arg.size()) {
      value = arg.substr(name.size() + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    }
    if (value.empty()) {
      problem_ = std::string(name) + " needs a value";
      return;
    }
    if (get(name)) {
      problem_ = std::string(name) + " given twice";
      return;
    }
    values_.emplace_back(name, value);
  }
}

std::optional<std::string_view> command_options::get(std::string_view name) const {
  for (const auto& [given, value] : values_)
    if (given == name) return value;
  return std::nullopt;
}

int run_cli(int argc, char** argv) {
  if (argc < 2) return usage_error("missing command");
  std::string_view command = argv[1];
  std::span<char* const> rest(argv + 2, static_cast<std::size_t>(argc - 2));
  if (command == "help") return run_help(rest);
  if (asks_for_help(command)) return run_help({});
  // `COMMAND --help` (and `token KIND --help`): the command's help, whatever else is given.
  if (std::any_of(rest.begin(), rest.end(), [](char* word) { return asks_for_help(word); })) {
    std::string name{command};
    if ((command == "token" || command == "store") && !rest.empty() && !asks_for_help(rest[0])) {
      name += ' ';
      name += rest[0];
    }
    if (!print_command_help(name)) return usage_error("unknown command '" + name + "'");
    return 0;
  }
  if (command == "version") {
    if (!rest.empty())
      return usage_error("version: unexpected argument '" + std::string(rest[0]) + "'");
    std::printf("tunnel-router %s\n", version_string);
    return 0;
  }
  if (command == "token") return run_token_command(rest);
  if (command == "keygen") return run_keygen_command(rest);
  if (command == "serve") return run_serve_command(rest);
  if (command == "demo") return run_demo_command(rest);
  if (command == "store") return run_store_command(rest);
  return usage_error("unknown command '" + std::string(command) + "'");
}

}  // namespace tr::app
