#pragma once

#include <string>

namespace tr::transport::detail {

/// Empties the thread's OpenSSL error queue into one line ("reason; reason"), "" if it was empty.
std::string take_openssl_errors();

}  // namespace tr::transport::detail
