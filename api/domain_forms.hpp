#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/validation.hpp"
#include "store/model.hpp"

namespace tr::api {

// The forms of `POST|PATCH /api/v1/domain-groups` and `POST|PATCH /api/v1/domains`, checked
// field by field (every failing field at once, as the connection form):
// - group name: 1..20 characters, no control character, no blank at either end, no `/` (it is a
//   path segment of the API); fixed once made.
// - domain name: segments of 1..20 characters (same rule) separated by `/`; fixed once made.
// - description: optional, at most 200 characters, no control characters.
// - color: optional `#rrggbb` (hex digits, any case, stored lower case); absent on creation:
//   store::default_group_color.
// - active: optional, true when absent on creation.
// A PATCH changes a group's description and colour, a domain's description and `active`; it may
// repeat the fixed fields unchanged (clients send back what they read), not change them.

inline constexpr std::size_t max_description_characters = 200;

/// A domain group as received; absent fields are nullopt.
struct domain_group_form {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> color;
  std::vector<field_error> malformed;  ///< as in connection_form
};

/// A domain as received; absent fields are nullopt.
struct domain_form {
  std::optional<std::string> group;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<bool> active;
  std::vector<field_error> malformed;
};

/// The checked group, or every failing field.
struct domain_group_validation {
  store::domain_group value;
  std::vector<field_error> errors;
  bool ok() const noexcept { return errors.empty(); }
};

/// The checked domain, or every failing field.
struct domain_validation {
  store::domain value;
  std::vector<field_error> errors;
  bool ok() const noexcept { return errors.empty(); }
};

/// Checks a new group.
domain_group_validation validate_new_domain_group(const domain_group_form& form);

/// Checks a PATCH of `stored`; the value is `stored` with the changes laid over it.
domain_group_validation validate_domain_group_patch(const domain_group_form& form,
                                                    const store::domain_group& stored);

/// Checks a new domain (its group's existence is the caller's check).
domain_validation validate_new_domain(const domain_form& form);

/// Checks a PATCH of `stored`; the value is `stored` with the changes laid over it.
domain_validation validate_domain_patch(const domain_form& form, const store::domain& stored);

}  // namespace tr::api
