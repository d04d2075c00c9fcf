#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/validation.hpp"

namespace tr::api::detail {

/// A device route as a body or an import line gives it: `{"devEUI", "connections"}`.
struct device_form {
  std::optional<std::string> dev_eui;                   ///< as written
  std::optional<std::vector<std::string>> connections;  ///< connection ids
  std::vector<field_error> errors;  ///< unreadable JSON, wrong types, unknown fields
};

/// Decodes a device route object. JSON null counts as absent; a body that is not an object is
/// one error with the path `body`.
device_form parse_device_form(std::string_view json);

/// The DevEUI in upper case when it is 16 hex digits; nullopt otherwise.
std::optional<std::string> normalize_dev_eui(std::string_view text);

}  // namespace tr::api::detail
