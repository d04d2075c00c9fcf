#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tr::test {

/// The driver side of the sans-I/O contract (see transport/connection_engine.hpp), for tests:
/// runs engines over real non-blocking sockets with poll(2), in the calling thread. Works with
/// any type offering receive / receive_eof / pending_output / consume_output / wants_close, so
/// it does not depend on the transport library.
class engine_loop {
 public:
  engine_loop();
  ~engine_loop();  ///< closes every socket it drives
  engine_loop(const engine_loop&) = delete;
  engine_loop& operator=(const engine_loop&) = delete;

  /// Drives `engine` (owned by the caller, alive while the loop runs) over the connected
  /// socket `fd`, which the loop closes when the engine wants it closed.
  template <class Engine>
  void attach(int fd, Engine& engine) {
    add(fd, std::make_unique<driven_engine<Engine>>(&engine, nullptr));
  }

  /// Accepts connections on `listener_fd`; `make()` returns a std::unique_ptr to a new engine
  /// for each, owned by the loop.
  template <class Factory>
  void serve(int listener_fd, Factory make) {
    add_listener(listener_fd, [make = std::move(make)]() mutable -> std::unique_ptr<driven> {
      auto engine = make();
      auto* raw = engine.get();
      return std::make_unique<driven_engine<typename decltype(engine)::element_type>>(
          raw, std::move(engine));
    });
  }

  /// Also wakes up when `fd` becomes readable (e.g. child_process::exit_fd()).
  void watch(int fd);

  /// Runs until `done()` holds (true) or the timeout passes (false).
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20));

  /// Runs until every attached or accepted connection is closed, or the timeout passes.
  bool run_until_all_closed(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  /// Connections accepted on the listeners so far.
  std::size_t accepted() const { return accepted_; }

  /// Connections closed so far (by the engine's wish or the peer's reset).
  std::size_t closed() const { return closed_; }

  /// Connections open now.
  std::size_t open_connections() const;

  /// What receive() reported, as "code: reason" lines, in order.
  const std::vector<std::string>& errors() const { return errors_; }

  /// The type-erased engine interface the loop drives.
  class driven {
   public:
    virtual ~driven() = default;
    virtual bool receive(std::span<const std::byte> bytes, std::string& error_text) = 0;
    virtual void receive_eof() = 0;
    virtual std::span<const std::byte> pending_output() = 0;
    virtual void consume_output(std::size_t count) = 0;
    virtual bool wants_close() const = 0;
  };

 private:
  template <class Engine>
  class driven_engine final : public driven {
   public:
    driven_engine(Engine* engine, std::unique_ptr<Engine> owned)
        : engine_(engine), owned_(std::move(owned)) {}
    bool receive(std::span<const std::byte> bytes, std::string& error_text) override {
      auto err = engine_->receive(bytes);
      if (!err) return true;
      if constexpr (requires { err.message(); }) error_text = err.message();
      return false;
    }
    void receive_eof() override { engine_->receive_eof(); }
    std::span<const std::byte> pending_output() override { return engine_->pending_output(); }
    void consume_output(std::size_t count) override { engine_->consume_output(count); }
    bool wants_close() const override { return engine_->wants_close(); }

   private:
    Engine* engine_;
    std::unique_ptr<Engine> owned_;
  };

  struct connection;
  struct listener;

  void add(int fd, std::unique_ptr<driven> engine);
  void add_listener(int fd, std::function<std::unique_ptr<driven>()> make);
  void flush(connection& conn);
  void read(connection& conn);
  void accept_from(listener& source);
  void close_finished();
  void step(std::chrono::milliseconds wait);

  std::vector<std::unique_ptr<connection>> connections_;
  std::vector<std::unique_ptr<listener>> listeners_;
  std::vector<int> watched_;
  std::vector<std::string> errors_;
  std::vector<std::byte> read_buffer_;
  std::size_t accepted_ = 0;
  std::size_t closed_ = 0;
};

/// Moves bytes between two engines in memory, both ways, until neither has output left;
/// false if they still talk after `max_rounds` (a livelock in the test).
template <class A, class B>
bool exchange(A& a, B& b, int max_rounds = 10000) {
  for (int round = 0; round < max_rounds; ++round) {
    bool moved = false;
    for (auto out = a.pending_output(); !out.empty(); out = a.pending_output()) {
      b.receive(out);
      a.consume_output(out.size());
      moved = true;
    }
    for (auto out = b.pending_output(); !out.empty(); out = b.pending_output()) {
      a.receive(out);
      b.consume_output(out.size());
      moved = true;
    }
    if (!moved) return true;
  }
  return false;
}

}  // namespace tr::test
