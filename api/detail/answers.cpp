#include <algorithm>

#include "api/detail/handlers.hpp"
#include "api/detail/json_out.hpp"

namespace tr::api::detail {

api_answer json_answer(int status, std::string body) {
  api_answer out;
  out.status = status;
  out.body = std::move(body);
  return out;
}

api_answer error_answer(int status, std::string_view message) {
  return json_answer(status, error_body(message));
}

api_answer field_errors_answer(const std::vector<field_error>& errors) {
  return json_answer(400, field_errors_body(errors));
}

api_answer store_failure(const store::error& failure) {
  switch (failure.code) {
    case store::error_code::not_found:
      return error_answer(404, failure.message);
    case store::error_code::invalid_argument:
    case store::error_code::unknown_connection:
      return error_answer(400, failure.message);
    case store::error_code::unavailable:
      return error_answer(503, "store unavailable");
    case store::error_code::conflict:
    case store::error_code::changed_meanwhile:
      return error_answer(409, failure.message);
    default:
      return error_answer(500, "store failure: " + failure.message);
  }
}

api_answer no_content() {
  api_answer out;
  out.status = 204;
  out.content_type.clear();
  return out;
}

void merge_errors(std::vector<field_error>& errors, const std::vector<field_error>& more) {
  for (const auto& error : more) {
    bool reported = std::any_of(errors.begin(), errors.end(),
                                [&](const field_error& e) { return e.field == error.field; });
    if (!reported) errors.push_back(error);
  }
}

}  // namespace tr::api::detail
