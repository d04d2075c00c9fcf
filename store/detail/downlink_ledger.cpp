#include "store/detail/downlink_ledger.hpp"

#include <cctype>
#include <memory>

#include "store/detail/postgres.hpp"

namespace tr::store::detail {

namespace {

std::string epoch_seconds(std::chrono::system_clock::time_point at) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  return std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1);
}

/// "57P01"-like classes: 57014 is a cancelled statement (statement_timeout).
bool timed_out(const postgres_failure& failure) {
  return failure.sqlstate == "57014";
}

}  // namespace

downlink_ledger::downlink_ledger(std::string url, settings options,
                                 const std::atomic<bool>& store_up)
    : url_(std::move(url)), settings_(options), store_up_(store_up) {
  for (std::size_t i = 0; i < settings_.sessions; ++i) workers_.emplace_back([this] { work(); });
}

downlink_ledger::~downlink_ledger() {
  std::deque<job> left;
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
    left.swap(queue_);
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
  for (auto& waiting : left)
    if (waiting.answer) waiting.answer(downlink_spend::unavailable);
}

bool downlink_ledger::enqueue(job&& next) {
  {
    std::lock_guard lock{mutex_};
    if (stopping_ || queue_.size() >= settings_.queue_capacity) return false;
    queue_.push_back(std::move(next));
  }
  wake_.notify_one();
  return true;
}

namespace {

/// A token is spent whatever the case of its hex digits: the router accepts either, so the
/// record must hold one spelling, or a token sent again in upper case would pass as new.
void lower_case(std::string& token) {
  for (char& c : token) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

void downlink_ledger::spend(downlink_check check, downlink_answer answer) {
  lower_case(check.token);
  // Fail closed at once while the listener knows the server is gone: no connect timeout on
  // the downlink path.
  if (!store_up_.load()) return answer(downlink_spend::unavailable);
  auto fallback = answer;
  if (!enqueue(job{std::move(check), std::move(answer), clock::now()})) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    fallback(downlink_spend::busy);
  }
}

void downlink_ledger::release(std::string connection_id, std::string token) {
  if (!store_up_.load()) return;
  downlink_check check;
  check.connection_id = std::move(connection_id);
  check.token = std::move(token);
  lower_case(check.token);
  if (!enqueue(job{std::move(check), {}, clock::now()}))
    refused_.fetch_add(1, std::memory_order_relaxed);
}

void downlink_ledger::work() {
  std::unique_ptr<pg_connection> session;
  auto budget_ms = std::to_string(settings_.budget.count());
  for (;;) {
    job next;
    {
      std::unique_lock lock{mutex_};
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    auto answer = [&](downlink_spend verdict) {
      if (next.answer) next.answer(verdict);
    };
    if (clock::now() - next.queued_at > settings_.budget) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      answer(downlink_spend::busy);
      continue;
    }
    if (!store_up_.load()) {
      answer(downlink_spend::unavailable);
      continue;
    }
    try {
      if (!session || !session->still_open()) {
        session.reset();
        // A check waits not at all once the listener found the server gone. The server's
        // statement_timeout (the budget) normally ends a stuck check first and says so (busy); the
        // client's own limit, a second later, covers a server that says nothing.
        session = std::make_unique<pg_connection>(
            url_, pg_limits{settings_.budget + std::chrono::seconds{1}, &store_up_});
        session->exec("SET statement_timeout = " + budget_ms);
      }
      const auto& c = next.check;
      if (!next.answer) {
        session->query("DELETE FROM downlink_tokens WHERE connection_id = $1 AND token = $2",
                       {c.connection_id, c.token});
        continue;
      }
      auto found = session->query("SELECT spend_downlink($1, $2, to_timestamp($3), $4, $5)",
                                  {c.connection_id, c.token, epoch_seconds(c.expiry),
                                   std::to_string(c.rate_per_s), std::to_string(c.burst)});
      auto verdict = found.text(0, 0);
      answer(verdict == "accepted" ? downlink_spend::accepted
             : verdict == "replay" ? downlink_spend::replay
                                   : downlink_spend::rate_limited);
    } catch (const postgres_failure& failure) {
      if (failure.lost) session.reset();
      answer(timed_out(failure) ? downlink_spend::busy : downlink_spend::unavailable);
    }
  }
}

}  // namespace tr::store::detail
