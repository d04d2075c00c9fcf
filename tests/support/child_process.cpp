#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace tr::test {

child_process::child_process(std::vector<std::string> argv) : argv_(std::move(argv)) {
  if (argv_.empty()) throw std::runtime_error("child_process needs a command");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::string out = files_.file("stdout");
  std::string err = files_.file("stderr");
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  std::vector<char*> args;
  for (auto& arg : argv_) args.push_back(arg.data());
  args.push_back(nullptr);
  int rc = posix_spawnp(&pid_, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) throw std::runtime_error("cannot start " + argv_[0] + ": " + std::strerror(rc));
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
}

child_process::~child_process() {
  if (running()) kill();
  if (pidfd_ >= 0) ::close(pidfd_);
}

bool child_process::running() {
  if (exit_code_) return false;
  int status = 0;
  pid_t rc = waitpid(pid_, &status, WNOHANG);
  if (rc == 0) return true;
  if (rc == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    exit_code_ = -1;  // not our child any more
  }
  return false;
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (pidfd_ >= 0) {
      pollfd entry{pidfd_, POLLIN, 0};
      poll(&entry, 1, static_cast<int>(left.count()));
    } else {
      poll(nullptr, 0, 10);
    }
  }
  return exit_code_;
}

void child_process::kill() {
  if (!running()) return;
  ::kill(-pid_, SIGTERM);
  if (wait(std::chrono::seconds(3))) return;
  ::kill(-pid_, SIGKILL);
  wait(std::chrono::seconds(3));
}

void child_process::signal(int signo) {
  if (running()) ::kill(-pid_, signo);
}

std::string child_process::output() const { return read_file(files_.file("stdout")); }

std::string child_process::errors() const { return read_file(files_.file("stderr")); }

std::string child_process::command_line() const {
  std::string line;
  for (const auto& arg : argv_) {
    if (!line.empty()) line += ' ';
    line += arg;
  }
  return line;
}

}  // namespace tr::test
