// The configuration loader: a file (INI, JSON or XML, by a control byte) and a few
// TUNNEL_ROUTER_* variables, both from the input. load_config() may only succeed or throw
// config_error (the message names the key at fault); any other exception is a finding, since
// `serve` would then print a message that names no key.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "app/config.hpp"
#include "fuzz/fuzz_input.hpp"

using tr::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string folder = [] {
    std::string f = "/tmp/tr-fuzz-config-XXXXXX";
    check(mkdtemp(f.data()) != nullptr, "cannot make a temporary folder");
    return f;
  }();
  tr::fuzz::input_reader in{data, size};
  auto control = in.byte();
  static const char* const extensions[] = {".ini", ".json", ".xml"};
  std::string file = folder + "/router" + extensions[control % 3];
  tr::app::environment env;
  // Variables first, one per line up to an empty line: NAME=value.
  for (int i = 0; i < ((control >> 2) & 3); ++i) {
    auto line = in.until('\n');
    auto equals = line.find('=');
    if (equals == std::string_view::npos) break;
    env.emplace("TUNNEL_ROUTER_" + std::string{line.substr(0, equals)},
                std::string{line.substr(equals + 1)});
  }
  {
    std::ofstream out{file, std::ios::binary | std::ios::trunc};
    auto text = in.rest();
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  try {
    auto loaded = tr::app::load_config(file, env);
    (void)tr::app::make_snapshot(std::move(loaded));
  } catch (const tr::app::config_error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "not a config_error: %s\n", e.what());
    check(false, "load_config threw something other than config_error");
  }
  for (const char* extension : extensions) unlink((folder + "/router" + extension).c_str());
  return 0;
}
