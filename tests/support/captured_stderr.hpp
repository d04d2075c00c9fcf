#pragma once
// What a piece of code writes to stderr (the log's lines), read back by a test: stderr points at
// a file while it runs.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace tr::test {

/// Runs `fn` with stderr sent to a file; returns what was written.
template <class Fn>
std::string stderr_of(Fn&& fn) {
  temp_dir dir;
  auto path = dir.file("stderr");
  std::fflush(stderr);
  int saved = ::dup(2);
  int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(file, 2);
  ::close(file);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  return read_file(path);
}

}  // namespace tr::test
