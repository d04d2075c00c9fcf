#pragma once

// The parts of a connection owner that both of its source files use (connection_owner.cpp,
// connection_owner_fuse.cpp); not for other code.

#include <cstdint>
#include <functional>
#include <string>

#include "actors/connection_owner.hpp"

namespace tr::actors {

struct connection_owner::request_slot {
  std::uint32_t generation = 1;
  bool live = false;
  bool probe = false;
  bool timed_out = false;
  std::uint32_t epoch = 0;       ///< the fuse's open period a probe was admitted in
  bool uplink = false;           ///< a DevEUI_uplink: its outcome feeds the loss table
  bool test = false;             ///< a test uplink: outside the fuse and the figures
  std::uint64_t device = 0;      ///< loss_table key of its DevEUI
  std::uint32_t told = 0;        ///< the LostUplinksAS it carries
  std::uint32_t among = 0;       ///< uplinks in flight when it was sent, itself included
  /// The request as sent (kept to send it again once, unchanged: see complete). Swapped with
  /// the owner's scratch buffers rather than copied, so their capacity circulates; the report
  /// itself is not kept (the ingress reuses it once every holder has let go within the turn).
  std::string target;
  std::string body;
  bool resendable = false;       ///< target and body hold this request
  bool retried = false;          ///< sent again after a refusal that said it was not processed
  transport::upstream_ticket ticket;  ///< given by the upstream (sent, or waiting for a session)
  transport::timer_id timer{};
  fuse::clock::time_point started{};
};

struct connection_owner::test_waiter {
  std::uint32_t slot;
  std::string target;
  std::function<void(api::test_uplink_result)> done;
  api::test_uplink_result result;
};

}  // namespace tr::actors
