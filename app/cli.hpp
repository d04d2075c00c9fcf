#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tr::app {

/// Runs the command line (`serve`, `token`, `keygen`, `version`; README "Command line");
/// returns the exit code. Bad input prints one line naming the problem on stderr and returns 2.
int run_cli(int argc, char** argv);

/// The options of one command, read the same way by every command: `--name VALUE` or
/// `--name=VALUE`, each taking a value and given at most once. A word that is not an option is
/// an unexpected argument.
class command_options {
 public:
  /// Reads `args` (the words after the command), accepting the options named in `known`.
  command_options(std::span<char* const> args, std::initializer_list<std::string_view> known);

  /// Empty if every word was read; otherwise one phrase naming the argument at fault.
  const std::string& problem() const { return problem_; }

  /// The value given for `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const;

 private:
  std::vector<std::pair<std::string_view, std::string_view>> values_;
  std::string problem_;
};

}  // namespace tr::app
