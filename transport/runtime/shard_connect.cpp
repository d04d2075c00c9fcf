// Outgoing connections: non-blocking connect with a timeout on the shard's timers, names
// resolved off the shard.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "transport/runtime/detail/io_slot.hpp"
#include "transport/runtime/detail/resolver.hpp"
#include "transport/runtime/runtime.hpp"
#include "transport/runtime/shard.hpp"

namespace tr::transport {

connect_id shard::connect(std::string_view host, std::uint16_t port,
                          std::chrono::milliseconds timeout,
                          unique_function<void(connect_result)> done) {
  return connect(host, port, timeout, {}, std::move(done));
}

connect_id shard::connect(std::string_view host, std::uint16_t port,
                          std::chrono::milliseconds timeout, address_filter allow,
                          unique_function<void(connect_result)> done) {
  if (stopping_) return {};
  std::uint32_t index = allocate_slot();
  detail::io_slot& slot = *slots_[index];
  slot.kind = detail::slot_kind::connecting;
  slot.done = std::move(done);
  slot.allow = std::move(allow);
  slot.denied = false;
  connect_id id{index, slot.generation};
  ++connecting_count_;
  slot.timeout = schedule(timeout, [this, id] {
    if (!find(id.slot, id.generation)) return;
    slots_[id.slot]->timeout = {};
    connect_result result;
    result.status = {io_failure::timed_out, ETIMEDOUT};
    finish_connect(id.slot, std::move(result));
  });
  if (auto address = parse_numeric_address(host, port)) {
    slot.addresses.push_back(*address);
    // Failures found at once are reported from a posted closure: never inside connect().
    post([id](shard& self) {
      if (self.find(id.slot, id.generation)) self.try_next_address(id.slot);
    });
  } else {
    runtime_.resolver().resolve(std::string{host}, port,
                                [home = this, id](detail::resolve_result result) {
                                  home->post([id, result = std::move(result)](shard& self) mutable {
                                    self.on_resolved(id, std::move(result));
                                  });
                                });
  }
  return id;
}

bool shard::cancel_connect(connect_id id) {
  detail::io_slot* slot = find(id.slot, id.generation);
  if (!slot || slot->kind != detail::slot_kind::connecting) return false;
  if (slot->fd >= 0) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, slot->fd, nullptr);
    ::close(slot->fd);
  }
  if (slot->timeout) cancel(slot->timeout);
  unique_function<void(connect_result)> dropped = std::move(slot->done);
  --connecting_count_;
  free_slot(id.slot);
  if (draining_) check_drained();
  return true;
}

void shard::on_resolved(connect_id id, detail::resolve_result result) {
  detail::io_slot* slot = find(id.slot, id.generation);
  if (!slot || slot->kind != detail::slot_kind::connecting) return;  // timed out meanwhile
  if (result.error != 0) {
    connect_result failed;
    failed.status = {io_failure::resolve_failed, result.error};
    finish_connect(id.slot, std::move(failed));
    return;
  }
  slot->addresses = std::move(result.addresses);
  try_next_address(id.slot);
}

void shard::try_next_address(std::uint32_t index) {
  detail::io_slot& slot = *slots_[index];
  while (slot.next_address < slot.addresses.size()) {
    const socket_address& address = slot.addresses[slot.next_address++];
    if (slot.allow && !slot.allow(address)) {
      slot.denied = true;
      continue;
    }
    socket attempt{::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (!attempt) {
      slot.last_error = errno;
      continue;
    }
    set_no_delay(attempt.get());
    if (::connect(attempt.get(), address.data(), address.size) != 0 && errno != EINPROGRESS) {
      slot.last_error = errno;
      continue;
    }
    // In progress (or, rarely, done at once): writability says how it ended.
    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.u64 = detail::event_tag(index, slot.generation);
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, attempt.get(), &event) != 0) {
      slot.last_error = errno;
      continue;
    }
    slot.fd = attempt.release();
    return;
  }
  connect_result failed;
  if (slot.denied && slot.last_error == 0)
    failed.status = {io_failure::denied};
  else
    failed.status = {io_failure::system, slot.last_error != 0 ? slot.last_error : EADDRNOTAVAIL};
  finish_connect(index, std::move(failed));
}

void shard::on_connect_event(std::uint32_t index) {
  detail::io_slot& slot = *slots_[index];
  int err = 0;
  socklen_t size = sizeof err;
  if (getsockopt(slot.fd, SOL_SOCKET, SO_ERROR, &err, &size) != 0) err = errno;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, slot.fd, nullptr);
  socket attempt{slot.fd};
  slot.fd = -1;
  if (err == 0) {
    connect_result connected;
    connected.connected = std::move(attempt);
    finish_connect(index, std::move(connected));
    return;
  }
  slot.last_error = err;
  attempt.reset();
  try_next_address(index);
}

void shard::finish_connect(std::uint32_t index, connect_result result) {
  detail::io_slot& slot = *slots_[index];
  if (slot.fd >= 0) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, slot.fd, nullptr);
    ::close(slot.fd);
  }
  if (slot.timeout) cancel(slot.timeout);
  unique_function<void(connect_result)> done = std::move(slot.done);
  --connecting_count_;
  free_slot(index);
  if (done) done(std::move(result));
  if (draining_) check_drained();
}

}  // namespace tr::transport
