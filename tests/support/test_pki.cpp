#include "tests/support/test_pki.hpp"

#include "bench/harness/pki.hpp"

namespace tr::test {

test_pki make_test_pki(const std::string& dir, const std::string& name) {
  // One generator for the tests and the load harness (bench/harness/pki).
  auto files = harness::generate_pki(dir, name);
  return test_pki{files.ca_file, files.cert_file, files.key_file};
}

}  // namespace tr::test
