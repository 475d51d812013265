// Storages and strided views as the kernels see them, the checks that keep every access inside its
// buffer, and the strided loop shared by the elementwise, indexing and optimizer kernels.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "thread_pool.h"

namespace webgrad {

constexpr int kMaxRank = 16;

/** A storage: `length` floats at `data` (a Float32Array's memory, see addon.cc). */
struct Span {
  float* data;
  int64_t length;
};

/** Element (i0, i1, …) is at offset + Σ ik·strides[k]. */
struct View {
  int rank = 0;
  int64_t offset = 0;
  int64_t shape[kMaxRank] = {};
  int64_t strides[kMaxRank] = {};
};

[[noreturn]] inline void fail(const std::string& message) { throw std::invalid_argument("webgrad native: " + message); }

inline int64_t numel(const View& v) {
  int64_t n = 1;
  for (int d = 0; d < v.rank; d++) n *= v.shape[d];
  return n;
}

inline View contiguous(int rank, const int64_t* shape) {
  View v;
  v.rank = rank;
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    v.shape[d] = shape[d];
    v.strides[d] = s;
    s *= shape[d];
  }
  return v;
}

/** Throws unless every element of `v` lies inside `s` (an empty view always fits). */
inline void check_view(const View& v, const Span& s, const char* what) {
  if (numel(v) == 0) return;
  int64_t lo = v.offset, hi = v.offset;
  for (int d = 0; d < v.rank; d++) {
    const int64_t span = (v.shape[d] - 1) * v.strides[d];
    (span < 0 ? lo : hi) += span;
  }
  if (lo < 0 || hi >= s.length) {
    fail(std::string(what) + " view reaches elements " + std::to_string(lo) + ".." + std::to_string(hi) + " of a buffer of " +
         std::to_string(s.length));
  }
}

/** Throws unless `s` holds at least n elements (outputs, optimizer state). */
inline void check_length(const Span& s, int64_t n, const char* what) {
  if (s.length < n) fail(std::string(what) + " buffer holds " + std::to_string(s.length) + " elements, needs " + std::to_string(n));
}

/**
 * A loop over one shape for N operands, each with its own strides and base offset. Size-1 dims are
 * dropped and adjacent dims that every operand walks contiguously are merged, so a contiguous or
 * row-broadcast operand leaves a long innermost run the compiler vectorises.
 */
template <int N>
struct StridedLoop {
  int rank = 1;
  int64_t size = 1;
  int64_t shape[kMaxRank] = {1};
  int64_t strides[N][kMaxRank] = {};
  int64_t base[N] = {};
};

template <int N>
StridedLoop<N> make_loop(const int64_t* shape, int rank, const View* const (&views)[N], bool merge = true) {
  StridedLoop<N> loop;
  loop.rank = 0;
  for (int k = 0; k < N; k++) loop.base[k] = views[k]->offset;
  for (int d = 0; d < rank; d++) {
    loop.size *= shape[d];
    if (shape[d] == 1) continue;
    const int last = loop.rank - 1;
    bool mergeable = merge && last >= 0;
    for (int k = 0; k < N && mergeable; k++) mergeable = loop.strides[k][last] == views[k]->strides[d] * shape[d];
    if (mergeable) {
      loop.shape[last] *= shape[d];
      for (int k = 0; k < N; k++) loop.strides[k][last] = views[k]->strides[d];
    } else {
      loop.shape[loop.rank] = shape[d];
      for (int k = 0; k < N; k++) loop.strides[k][loop.rank] = views[k]->strides[d];
      loop.rank++;
    }
  }
  if (loop.rank == 0) {  // a scalar: one run of one element
    loop.rank = 1;
    loop.shape[0] = 1;
    for (int k = 0; k < N; k++) loop.strides[k][0] = 0;
  }
  return loop;
}

/**
 * Calls fn(pos, len, off, step) for the runs along the innermost dim that cover the flat positions
 * [begin, end): run elements are at off[k] + j·step[k] for j < len, flat positions pos + j.
 */
template <int N, class Fn>
void for_each_run(const StridedLoop<N>& loop, int64_t begin, int64_t end, Fn&& fn) {
  const int r = loop.rank;
  int64_t index[kMaxRank];
  int64_t off[N], step[N];
  for (int k = 0; k < N; k++) off[k] = loop.base[k], step[k] = loop.strides[k][r - 1];
  int64_t rest = begin;
  for (int d = r - 1; d >= 0; d--) {
    index[d] = rest % loop.shape[d];
    rest /= loop.shape[d];
    for (int k = 0; k < N; k++) off[k] += index[d] * loop.strides[k][d];
  }
  for (int64_t pos = begin; pos < end;) {
    const int64_t len = std::min(loop.shape[r - 1] - index[r - 1], end - pos);
    fn(pos, len, static_cast<const int64_t*>(off), static_cast<const int64_t*>(step));
    pos += len;
    if (pos >= end) break;
    index[r - 1] += len;
    for (int k = 0; k < N; k++) off[k] += len * step[k];
    for (int d = r - 1; d > 0 && index[d] == loop.shape[d]; d--) {
      index[d] = 0;
      index[d - 1]++;
      for (int k = 0; k < N; k++) off[k] += loop.strides[k][d - 1] - loop.shape[d] * loop.strides[k][d];
    }
  }
}

/** Elements per thread below which a loop stays on the calling thread (cheap arithmetic / transcendental). */
constexpr int64_t kGrainCheap = int64_t{1} << 15;
constexpr int64_t kGrainHeavy = int64_t{1} << 12;

/**
 * fn(begin, end) over [0, n): on the calling thread when n < 2·grain (no std::function, no locking:
 * small ops cost a function call), else split over the default pool.
 */
template <class Fn>
void parallel(int64_t n, int64_t grain, Fn&& fn) {
  if (n <= 0) return;
  if (n < 2 * grain) {
    fn(int64_t{0}, n);
    return;
  }
  ThreadPool& pool = default_pool();
  if (pool.size() == 1) {
    fn(int64_t{0}, n);
    return;
  }
  pool.parallel_for(n, grain, std::function<void(int64_t, int64_t)>(std::ref(fn)));
}

}  // namespace webgrad
