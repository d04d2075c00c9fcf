#pragma once

#include <filesystem>
#include <string_view>

#include "store/detail/crypto.hpp"
#include "store/result.hpp"

namespace tr::store::detail {

/// The environment variable that may carry the data key (64 hex digits).
inline constexpr const char* data_key_variable = "TUNNEL_ROUTER_DATA_KEY";

/// The data key file in the data folder.
inline constexpr const char* data_key_file_name = "data.key";

/// Finds the 256-bit data key: `explicit_hex` if not empty, else the environment variable, else
/// `<folder>/data.key`. A missing file is created when `may_create` (mode 0600, 64 hex digits
/// from the CSPRNG), atomically: written aside, then hard-linked into place, so two processes
/// starting at once agree on one key; else its absence is the error.
result<data_key> load_data_key(const std::filesystem::path& folder, std::string_view explicit_hex,
                               bool may_create = true);

/// The data key of a shared store: `explicit_hex` if not empty, else the environment variable;
/// never a file (replicas share the key and may run on a read-only root).
result<data_key> load_shared_data_key(std::string_view explicit_hex);

}  // namespace tr::store::detail
