#include "actors/fuse_actor.hpp"

#include <caf/all.hpp>

#include <stdexcept>

#include "logging/log.hpp"

namespace tr::actors {
namespace {

/// One batch of a connection's outcomes.
struct fuse_batch {
  std::vector<fuse_event> events;
};

struct fuse_params_change {
  fuse::params params;
};

using crash_atom = caf::atom_constant<caf::atom("fusecrash")>;

}  // namespace
}  // namespace tr::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tr::actors::fuse_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tr::actors::fuse_params_change)

namespace tr::actors {
namespace {

struct fuse_state {
  std::unique_ptr<fuse> learner;
  fuse::snapshot sent;
  static inline const char* name = "fuse";
};

caf::behavior fuse_behavior(caf::stateful_actor<fuse_state>* self,
                            std::shared_ptr<fuse_actor_link> link, std::string connection) {
  self->state.learner = std::make_unique<fuse>(link->params(), link->seed());
  self->set_exception_handler([self, connection](std::exception_ptr& e) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = x.what();
    } catch (...) {
    }
    logging::error("fuse actor failed",
                   {{"connection", connection}, {"reason", what}});
    return caf::exit_reason::unhandled_exception;
  });
  // A fresh fuse (at spawn or after a restart) tells the owner where it stands.
  auto start = self->state.learner->admission_state();
  self->state.sent = start;
  link->deliver(start);
  return {
      [self, link](fuse_batch& batch) {
        auto& learner = *self->state.learner;
        learn(learner, batch.events);
        auto now = learner.admission_state();
        if (now.same_admission(self->state.sent)) return;
        self->state.sent = now;
        link->deliver(now);
      },
      [self, link](fuse_params_change& change) {
        auto& learner = *self->state.learner;
        learner.reconfigure(change.params);
        auto now = learner.admission_state();
        if (now.same_admission(self->state.sent)) return;
        self->state.sent = now;
        link->deliver(now);
      },
      [](crash_atom) { throw std::runtime_error("injected fault"); },
  };
}

}  // namespace

fuse_actor_link::~fuse_actor_link() = default;

void fuse_actor_link::report(std::vector<fuse_event>&& batch) {
  caf::actor to;
  {
    std::lock_guard lock{mutex_};
    if (closed_) return;
    to = actor_;
  }
  if (to) caf::anon_send(to, fuse_batch{std::move(batch)});
}

void fuse_actor_link::reconfigure(const fuse::params& p) {
  if (auto to = actor()) caf::anon_send(to, fuse_params_change{p});
}

void fuse_actor_link::close() {
  caf::actor to;
  {
    std::lock_guard lock{mutex_};
    closed_ = true;
    to = std::move(actor_);
    actor_ = nullptr;
  }
  if (to) caf::anon_send_exit(to, caf::exit_reason::user_shutdown);
}

caf::actor fuse_actor_link::actor() const {
  std::lock_guard lock{mutex_};
  return actor_;
}

void fuse_actor_link::set_actor(caf::actor a) {
  std::lock_guard lock{mutex_};
  actor_ = std::move(a);
}

void fuse_actor_link::inject_fault_for_testing() {
  if (auto to = actor()) caf::anon_send(to, crash_atom::value);
}

caf::actor spawn_fuse_actor(caf::local_actor* parent, std::shared_ptr<fuse_actor_link> link,
                            std::string connection) {
  auto made = parent->spawn<caf::linked>(fuse_behavior, link, std::move(connection));
  link->set_actor(made);
  return made;
}

}  // namespace tr::actors
