#pragma once

#include <span>
#include <string_view>

namespace tr::api::detail {

/// One file of the web console (the folder console/), embedded into the binary at build time
/// by cmake/EmbedFiles.cmake.
struct console_file {
  std::string_view path;          ///< where it is served, e.g. `/console/app.js`
  std::string_view content_type;  ///< from its extension
  std::string_view body;
};

/// Every embedded file, sorted by path.
std::span<const console_file> console_files();

}  // namespace tr::api::detail
