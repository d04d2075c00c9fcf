// GET / and GET /console/...: the web console, ordinary HTML, CSS and JavaScript modules from
// the folder console/, embedded at build time (api/detail/console_files.hpp). Nothing is
// fetched from elsewhere; the Content-Security-Policy allows scripts and styles from this
// origin only (no inline script), and API calls to this origin only.

#include <algorithm>
#include <string_view>

#include "api/detail/console_files.hpp"
#include "api/detail/handlers.hpp"

namespace tr::api::detail {

namespace {

constexpr std::string_view policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

}  // namespace

api_answer web_console(std::string_view path) {
  if (path == "/") path = "/console/index.html";
  auto files = console_files();
  auto found = std::find_if(files.begin(), files.end(),
                            [&](const console_file& file) { return file.path == path; });
  if (found == files.end()) return error_answer(404, "no such path: " + std::string{path});
  api_answer out;
  out.content_type = std::string{found->content_type};
  out.body = std::string{found->body};
  out.headers.emplace_back("Content-Security-Policy", std::string{policy});
  out.headers.emplace_back("X-Content-Type-Options", "nosniff");
  out.headers.emplace_back("Referrer-Policy", "no-referrer");
  out.headers.emplace_back("Cache-Control", "no-cache");
  return out;
}

}  // namespace tr::api::detail
