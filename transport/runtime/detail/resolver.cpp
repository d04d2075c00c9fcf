#include "transport/runtime/detail/resolver.hpp"

#include <netdb.h>

#include <cstring>

namespace tr::transport::detail {

namespace {

resolve_result lookup(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  resolve_result result;
  result.error = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (result.error != 0) return result;
  for (addrinfo* entry = found; entry; entry = entry->ai_next) {
    if (entry->ai_addrlen > sizeof(sockaddr_storage)) continue;
    socket_address address;
    std::memcpy(&address.storage, entry->ai_addr, entry->ai_addrlen);
    address.size = entry->ai_addrlen;
    result.addresses.push_back(address);
  }
  freeaddrinfo(found);
  if (result.addresses.empty()) result.error = EAI_NONAME;
  return result;
}

}  // namespace

resolver::~resolver() { stop(); }

void resolver::resolve(std::string host, std::uint16_t port, callback done) {
  std::lock_guard guard{mutex_};
  if (stopping_) return;
  queue_.push_back({std::move(host), port, std::move(done)});
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  wake_.notify_one();
}

void resolver::stop() {
  std::deque<request> dropped;
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
    dropped.swap(queue_);
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void resolver::run() {
  std::unique_lock lock{mutex_};
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    request next = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    next.done(lookup(next.host, next.port));
    next.done.reset();
    lock.lock();
  }
}

}  // namespace tr::transport::detail
