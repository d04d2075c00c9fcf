// Counts heap allocations (this test binary's global operator new counts them, on every thread)
// to check that a warmed-up shard allocates nothing per read, write, post or timer.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <new>
#include <vector>

#include "transport/runtime/runtime.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace tr::transport {
namespace {

/// Echoes what it receives; say() adds bytes of its own. Buffers keep their capacity.
class echo_engine final : public connection_engine {
 public:
  error receive(std::span<const std::byte> bytes) override {
    output_.insert(output_.end(), bytes.begin(), bytes.end());
    return {};
  }
  void receive_eof() override { eof_ = true; }
  std::span<const std::byte> pending_output() override {
    return {output_.data() + written_, output_.size() - written_};
  }
  void consume_output(std::size_t count) override {
    written_ += count;
    if (written_ == output_.size()) {
      output_.clear();
      written_ = 0;
    }
  }
  bool wants_close() const override { return eof_; }
  void say(std::byte value) { output_.push_back(value); }

 private:
  std::vector<std::byte> output_;
  std::size_t written_ = 0;
  bool eof_ = false;
};

TEST(runtime_allocation, reads_writes_posts_and_timers_allocate_nothing_once_warm) {
  runtime rt{1};
  rt.start();
  int ends[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, ends), 0);
  auto engine = std::make_unique<echo_engine>();
  echo_engine* echo = engine.get();
  std::promise<connection_handle> adopted;
  auto handle_future = adopted.get_future();
  rt.at(0).post([&, fd = ends[0], engine = std::move(engine)](shard& on) mutable {
    adopted.set_value(on.adopt(socket{fd}, std::move(engine)));
  });
  connection_handle handle = handle_future.get();
  int peer = ends[1];

  // One round: a post that arms and cancels a timer and queues a byte, then 200 bytes echoed.
  char message[200] = {};
  char reply[512];
  auto round = [&]() -> bool {
    rt.at(0).post([handle, echo](shard& on) {
      timer_id timeout = on.schedule(std::chrono::seconds(5), [] {});
      on.cancel(timeout);
      echo->say(std::byte{'p'});
      on.mark_dirty(handle);
    });
    if (::send(peer, message, sizeof message, 0) != ssize_t(sizeof message)) return false;
    std::size_t got = 0;
    while (got < sizeof message + 1) {
      pollfd entry{peer, POLLIN, 0};
      if (poll(&entry, 1, 5000) != 1) return false;
      ssize_t count = ::recv(peer, reply, sizeof reply, 0);
      if (count <= 0) return false;
      got += static_cast<std::size_t>(count);
    }
    return true;
  };
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(round());
  std::size_t before = allocations.load();
  bool all_ok = true;
  for (int i = 0; i < 1000; ++i) all_ok = round() && all_ok;
  std::size_t during = allocations.load() - before;
  ASSERT_TRUE(all_ok);
  EXPECT_EQ(during, 0u);
  ::close(peer);
}

}  // namespace
}  // namespace tr::transport
