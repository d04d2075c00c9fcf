#pragma once

#include <string>

namespace tr::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The directory's absolute path.
  const std::string& path() const { return path_; }

  /// path()/name.
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// The whole content of a file ("" if it cannot be read).
std::string read_file(const std::string& path);

/// Writes (replaces) a file; throws std::runtime_error on failure.
void write_file(const std::string& path, const std::string& content);

}  // namespace tr::test
