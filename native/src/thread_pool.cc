#include "thread_pool.h"

#include <algorithm>
#include <chrono>
#include <memory>

namespace webgrad {
namespace {

// A worker goes back to sleep only after this long without a task, and the caller waits this long
// for the workers before it sleeps: a futex wake-up costs ≈15–50 µs on a 2-core VM, longer than
// many of the parallel loops, and a training step issues them back to back. Spinning yields, so an
// oversubscribed pool still lets the other threads run.
constexpr auto kSpin = std::chrono::microseconds(200);

template <class Ready>
void spin_until(Ready ready) {
  const auto end = std::chrono::steady_clock::now() + kSpin;
  while (!ready() && std::chrono::steady_clock::now() < end) std::this_thread::yield();
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(threads, 1); i++) workers_.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t chunks = std::min<int64_t>(size(), std::max<int64_t>(1, n / std::max<int64_t>(grain, 1)));
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &fn;
    n_ = n;
    chunk_ = (n + chunks - 1) / chunks;
    pending_ = static_cast<int>((n + chunk_ - 1) / chunk_) - 1;  // chunks that workers take
    error_ = nullptr;
    generation_++;
  }
  wake_.notify_all();
  try {
    fn(0, std::min(chunk_, n));  // the caller takes chunk 0
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
  spin_until([this] { return pending_.load() == 0; });
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  task_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::work(int index) {
  uint64_t seen = 0;
  for (;;) {
    spin_until([&] { return stopping_.load() || generation_.load() != seen; });
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    const int64_t begin = index * chunk_;
    if (!task_ || begin >= n_) continue;  // more workers than chunks: this one sits out
    const auto* task = task_;
    const int64_t end = std::min(begin + chunk_, n_);
    lock.unlock();
    try {
      (*task)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> error_lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    lock.lock();
    if (--pending_ == 0) done_.notify_one();
  }
}

namespace {
std::unique_ptr<ThreadPool>& pool_slot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}
int hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }
}  // namespace

ThreadPool& default_pool() {
  auto& pool = pool_slot();
  if (!pool) pool = std::make_unique<ThreadPool>(hardware_threads());
  return *pool;
}

void set_thread_count(int threads) {
  auto& pool = pool_slot();
  pool.reset();
  pool = std::make_unique<ThreadPool>(threads > 0 ? threads : hardware_threads());
}

}  // namespace webgrad
