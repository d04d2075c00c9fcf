// The listening side of a shard: a listener lives on one shard, which accepts and hands each
// new socket to the shard the runtime picks.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "transport/runtime/detail/io_slot.hpp"
#include "transport/runtime/runtime.hpp"
#include "transport/runtime/shard.hpp"

namespace tr::transport {

namespace {

constexpr int max_accepts_per_event = 64;
constexpr auto accept_retry_delay = std::chrono::milliseconds(100);

}  // namespace

void detail::listener_state::close_once() {
  if (!closed.exchange(true)) ::close(fd);
}

void shard::add_listener(std::shared_ptr<detail::listener_state> listener) {
  if (stopping_ || listener->closed.load()) return;
  std::uint32_t index = allocate_slot();
  detail::io_slot& slot = *slots_[index];
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = detail::event_tag(index, slot.generation);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listener->fd, &event) != 0) {
    free_slot(index);
    listener->close_once();
    return;
  }
  slot.kind = detail::slot_kind::listener;
  slot.fd = listener->fd;
  slot.interest = EPOLLIN;
  slot.listener = std::move(listener);
}

void shard::remove_listener(const std::shared_ptr<detail::listener_state>& listener) {
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    detail::io_slot& slot = *slots_[i];
    if (slot.kind == detail::slot_kind::listener && slot.listener == listener) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, slot.fd, nullptr);
      free_slot(i);
      break;
    }
  }
  listener->close_once();
}

void shard::accept_from(std::uint32_t index) {
  detail::io_slot& slot = *slots_[index];
  std::shared_ptr<detail::listener_state> listener = slot.listener;
  for (int i = 0; i < max_accepts_per_event; ++i) {
    int fd = ::accept4(slot.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: the pending connection stays in the backlog and the
        // listener would be readable at once again. Look again a little later.
        epoll_event event{};
        event.data.u64 = detail::event_tag(index, slot.generation);
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, slot.fd, &event);
        std::uint32_t generation = slot.generation;
        schedule(accept_retry_delay, [this, index, generation] {
          detail::io_slot* again = find(index, generation);
          if (!again || again->kind != detail::slot_kind::listener) return;
          epoll_event readable{};
          readable.events = EPOLLIN;
          readable.data.u64 = detail::event_tag(index, generation);
          epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, again->fd, &readable);
        });
      }
      return;
    }
    socket accepted{fd};
    set_no_delay(fd);
    shard& target = runtime_.place_connection(listener->follow_load);
    if (&target == this) {
      incoming_.fetch_sub(1, std::memory_order_relaxed);
      adopt_accepted(std::move(accepted), *listener);
    } else {
      target.post([accepted = std::move(accepted), listener](shard& on) mutable {
        on.incoming_.fetch_sub(1, std::memory_order_relaxed);
        on.adopt_accepted(std::move(accepted), *listener);
      });
    }
  }
}

void shard::adopt_accepted(socket s, detail::listener_state& listener) {
  if (stopping_) return;
  accepted_connection made = listener.factory(*this);
  if (!made.engine) return;  // refused: the socket closes
  connection_handle handle = adopt(std::move(s), std::move(made.engine), std::move(made.handler));
  if (detail::io_slot* slot = find(handle.slot, handle.generation))
    slot->follows_load = listener.follow_load;
}

}  // namespace tr::transport
