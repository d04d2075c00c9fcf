#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace tr::test {

/// A child process (curl, nghttp, nghttpd, h2load, nghttpx, ...) in its own process group, with
/// stdin from /dev/null and stdout/stderr captured in files. Killed (the whole group) on
/// destruction if still running.
class child_process {
 public:
  /// Starts argv[0], looked up in PATH; throws std::runtime_error if it cannot be started.
  explicit child_process(std::vector<std::string> argv);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// True until the process has exited (reaps it when it has).
  bool running();

  /// Waits for the exit; the exit code (128 + signal when killed), or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  /// SIGTERM to the group, SIGKILL if it is still there after a grace period; then reaps.
  void kill();

  /// Sends `signo` to the process group (e.g. SIGKILL to simulate a crash).
  void signal(int signo);

  /// A descriptor that becomes readable when the process exits (for poll loops).
  int exit_fd() const { return pidfd_; }

  /// The exit code once it has exited (see wait()).
  std::optional<int> exit_code() const { return exit_code_; }

  /// What it wrote to stdout / stderr so far.
  std::string output() const;
  std::string errors() const;

  /// The command line, for test messages.
  std::string command_line() const;

 private:
  std::vector<std::string> argv_;
  temp_dir files_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace tr::test
