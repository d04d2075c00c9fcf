#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tr::store::detail {

// Local helpers for keys and ids. The key rules (32 hex digits, lower case, 128 CSPRNG bits)
// duplicate what codecs/ will offer; unify once codecs/ has landed.

/// A new id: 16 lower-case hex digits from 64 CSPRNG bits.
std::string new_id();

/// A new tunnel interface authentication key: 32 lower-case hex digits from 128 CSPRNG bits.
std::string new_key();

/// The key in lower case when it is 32 hex digits; nullopt otherwise.
std::optional<std::string> normalize_key(std::string_view key);

/// The DevEUI in upper case when it is 16 hex digits; nullopt otherwise.
std::optional<std::string> normalize_dev_eui(std::string_view dev_eui);

/// True for 16 lower-case hex digits (the form of every id the store hands out).
bool is_id(std::string_view id) noexcept;

/// Now, UTC, ISO 8601 with milliseconds: `2024-05-01T12:00:00.123Z`.
std::string now_iso8601();

}  // namespace tr::store::detail
