// A small persistent thread pool: parallel_for splits [0, n) into contiguous chunks, which the pool's
// workers and the calling thread take first come, first served, and returns when all are done. Between calls a worker
// spins briefly before it sleeps, and so does the caller waiting for the workers (thread_pool.cc).
// One parallel_for at a time (the backend is driven from Node's single JS thread).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace webgrad {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /** Threads that work on a parallel_for, the caller included. */
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /**
   * Calls fn(begin, end) on disjoint chunks covering [0, n), each at least `grain` long (so small
   * loops stay on the calling thread). Exceptions from fn are rethrown on the calling thread.
   */
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void work();
  void run_chunks(uint64_t generation, const std::function<void(int64_t, int64_t)>& fn);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* task_ = nullptr;
  int64_t n_ = 0, chunk_ = 0;
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;
};

/** The process-wide pool (sized by set_thread_count, default: the machine's hardware threads). */
ThreadPool& default_pool();
/** Resizes the default pool (for thread-count independence tests); 0 means hardware threads. */
void set_thread_count(int threads);

}  // namespace webgrad
