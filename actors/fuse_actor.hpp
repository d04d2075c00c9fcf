#pragma once

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/fuse_link.hpp"

namespace tr::actors {

/// The fuse actor: one CAF actor per connection on the control plane, running the connection's
/// fuse (actors/fuse.hpp: closed / throttling / open, AIMD limit, back-off, probes).
///
/// It learns from the outcome batches the connection's owner sends through the connection's
/// fuse_link (one message per batch, never one per uplink) and, when what the shard must know
/// changed (state, limit, open period), posts a new admission snapshot back to the owner's
/// shard, where fuse_gate makes the shed-or-send decision locally. The owner sends a batch at
/// once when it holds news the fuse must react to (a failure, an overload answer, a slow or
/// unanswered uplink, a probe's outcome, anything while not closed), at most one per 2 ms, and
/// otherwise every 100 ms or 256 outcomes; so reaction times are those of the fuse itself plus
/// a hop of microseconds.
///
/// The supervisor spawns it linked to itself and restarts it alone when it fails (it then
/// starts closed, with the same link); an exception in its handler ends only this actor, is
/// logged and counted (`tunnel_router_fuse_restarts_total`).
class fuse_actor_link final : public fuse_link {
 public:
  fuse_actor_link(fuse::params params, std::uint64_t seed) : fuse_link(params, seed) {}
  ~fuse_actor_link() override;

  void report(std::vector<fuse_event>&& batch) override;
  void close() override;
  void reconfigure(const fuse::params& p) override;

  /// The actor now behind this link (after a restart, the new one).
  caf::actor actor() const;
  void set_actor(caf::actor a);
  /// Makes the fuse actor fail with an exception, as a defect would: for the supervision tests.
  void inject_fault_for_testing();

 private:
  mutable std::mutex mutex_;
  caf::actor actor_;
  bool closed_ = false;
};

/// Spawns the fuse actor of `link` from `parent`, linked to it (`parent` traps exits to
/// restart it). `connection` names it in logs.
caf::actor spawn_fuse_actor(caf::local_actor* parent, std::shared_ptr<fuse_actor_link> link,
                            std::string connection);

}  // namespace tr::actors
