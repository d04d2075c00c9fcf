#pragma once

#include <string>
#include <utility>

#include "store/result.hpp"

namespace tr::store::detail {

/// An invalid_argument error with this message.
inline error invalid(std::string message) {
  return error{error_code::invalid_argument, std::move(message)};
}

/// A not_found error with this message.
inline error missing(std::string message) {
  return error{error_code::not_found, std::move(message)};
}

}  // namespace tr::store::detail
