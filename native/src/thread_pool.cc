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
// Chunks are taken first come, first served, several per thread: on a shared machine a thread is
// often late (its core was lent to another process or to V8's own threads), and then the others
// take its share instead of waiting for it.
constexpr int64_t kChunksPerThread = 4;

template <class Ready>
void spin_until(Ready ready) {
  const auto end = std::chrono::steady_clock::now() + kSpin;
  while (!ready() && std::chrono::steady_clock::now() < end) std::this_thread::yield();
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(threads, 1); i++) workers_.emplace_back([this] { work(); });
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
  const int64_t chunks = std::min<int64_t>(size() * kChunksPerThread, std::max<int64_t>(1, n / std::max<int64_t>(grain, 1)));
  if (chunks <= 1 || size() == 1) {
    fn(0, n);
    return;
  }
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &fn;
    n_ = n;
    chunk_ = (n + chunks - 1) / chunks;
    const auto used = static_cast<uint64_t>((n + chunk_ - 1) / chunk_);  // ≤ chunks ≤ 4·threads < 2¹⁶
    pending_ = static_cast<int>(used);
    error_ = nullptr;
    generation = ++generation_;
    next_ = generation << 32 | used << 16;
  }
  wake_.notify_all();
  run_chunks(generation, fn);
  spin_until([this] { return pending_.load() == 0; });
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  task_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::run_chunks(uint64_t generation, const std::function<void(int64_t, int64_t)>& fn) {
  // next_ packs (generation, chunk count, next chunk) so that a thread that comes late, after this
  // generation ended and another began, fails the compare and never runs the new one's chunks with the old fn.
  for (uint64_t at = next_.load();;) {
    if (at >> 32 != (generation & 0xffffffff) || (at & 0xffff) >= (at >> 16 & 0xffff)) return;
    if (!next_.compare_exchange_weak(at, at + 1)) continue;
    const int64_t begin = static_cast<int64_t>(at & 0xffff) * chunk_;  // stable: this chunk keeps the generation open
    try {
      fn(begin, std::min(begin + chunk_, n_));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    if (--pending_ == 0) {
      std::lock_guard<std::mutex> lock(mutex_);  // the caller checks pending_ under the lock before it waits
      done_.notify_one();
    }
    at = next_.load();
  }
}

void ThreadPool::work() {
  uint64_t seen = 0;
  for (;;) {
    spin_until([&] { return stopping_.load() || generation_.load() != seen; });
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    if (!task_) continue;  // that parallel_for already ended
    const auto* task = task_;
    lock.unlock();
    run_chunks(seen, *task);
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
