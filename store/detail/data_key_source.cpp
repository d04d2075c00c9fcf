#include "store/detail/data_key_source.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

namespace tr::store::detail {

namespace {

/// Wipes a string holding key material when it goes out of scope.
struct wiped_string {
  std::string text;
  ~wiped_string() { OPENSSL_cleanse(text.data(), text.size()); }
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

result<data_key> parse_key(std::string_view hex, const std::string& origin) {
  hex = trim(hex);
  auto raw = hex.size() == 2 * data_key::size ? from_hex(hex) : std::nullopt;
  if (!raw)
    return error{error_code::bad_data_key, origin + " must hold 64 hexadecimal digits (256 bits)"};
  wiped_string bytes{std::move(*raw)};
  return data_key{std::span<const unsigned char, data_key::size>{
      reinterpret_cast<const unsigned char*>(bytes.text.data()), data_key::size}};
}

std::string system_message(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    auto n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Writes a new key aside and links it into place; false (errno set) on failure. EEXIST means
/// another process won the race, which is fine.
bool create_key_file(const std::filesystem::path& file) {
  auto aside = file;
  aside += ".tmp." + std::to_string(::getpid());
  int fd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  wiped_string text{to_hex(random_bytes(data_key::size)) + "\n"};
  bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, text.text) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (ok) {
    ok = ::link(aside.c_str(), file.c_str()) == 0;
    saved = errno;
  }
  ::unlink(aside.c_str());
  errno = saved;
  if (ok) {
    if (int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }
  return ok;
}

}  // namespace

result<data_key> load_data_key(const std::filesystem::path& folder, std::string_view explicit_hex,
                               bool may_create) {
  if (!explicit_hex.empty()) return parse_key(explicit_hex, "the given data key");
  if (const char* variable = std::getenv(data_key_variable); variable && *variable)
    return parse_key(variable, data_key_variable);

  auto file = folder / data_key_file_name;
  std::error_code ignored;
  bool missing = !std::filesystem::exists(file, ignored);
  if (missing && !may_create)
    return error{error_code::bad_data_key,
                 file.string() +
                     " is missing, and the database beside it was sealed with it: "
                     "put it back with the database (or give the key in " +
                     data_key_variable + ")"};
  if (missing && !create_key_file(file) && errno != EEXIST)
    return error{error_code::bad_data_key, system_message("cannot create", file)};
  std::ifstream in{file, std::ios::binary};
  if (!in) return error{error_code::bad_data_key, system_message("cannot read", file)};
  wiped_string text{std::string(256, '\0')};
  in.read(text.text.data(), static_cast<std::streamsize>(text.text.size()));
  text.text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_key(text.text, file.string());
}

result<data_key> load_shared_data_key(std::string_view explicit_hex) {
  if (!explicit_hex.empty()) return parse_key(explicit_hex, "the given data key");
  if (const char* variable = std::getenv(data_key_variable); variable && *variable)
    return parse_key(variable, data_key_variable);
  return error{error_code::bad_data_key,
               std::string{"a shared store (store.url) needs the data key in "} + data_key_variable +
                   " (64 hexadecimal digits, the same on every replica)"};
}

}  // namespace tr::store::detail
