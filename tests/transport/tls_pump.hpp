#pragma once

#include "transport/error.hpp"
#include "transport/tls_session.hpp"

namespace tr::transport::testing {

/// Moves ciphertext both ways between two sessions until neither has any; the first error seen.
inline error pump(tls_session& client, tls_session& server) {
  error first;
  for (int round = 0; round < 20; ++round) {
    bool moved = false;
    if (auto out = client.pending_ciphertext(); !out.empty()) {
      if (auto err = server.receive(out); err && !first) first = err;
      client.consume_ciphertext(out.size());
      moved = true;
    }
    if (auto out = server.pending_ciphertext(); !out.empty()) {
      if (auto err = client.receive(out); err && !first) first = err;
      server.consume_ciphertext(out.size());
      moved = true;
    }
    if (!moved) break;
  }
  return first;
}

}  // namespace tr::transport::testing
