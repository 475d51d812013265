// Sum (accumulated in double, from float sums of 4 elements or rows) and max (NaN wins, as in the
// reference) along the middle axis, and a max-shifted softmax / log-softmax. Unless the other axes
// give enough tasks, the reduced axis is cut into fixed blocks whose partial results are combined in
// order, so a long axis is split over threads and the result does not depend on the thread count
// (the blocking depends on the shape only).
#include "reduce.h"

#include "simd.h"
#include "vector_math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace webgrad {
namespace {

constexpr int64_t kBlock = int64_t{1} << 15;  // elements of the reduced axis per partial result
constexpr int64_t kWidth = 128;               // inner positions a task carries (its accumulators)
constexpr int64_t kWholeAxisTasks = 8;        // strips·outer from which a task sums a whole axis (no partials)

inline double combine_max(double acc, double v) { return acc >= v || acc != acc ? acc : v; }

// One contiguous row, in independent lanes (one float vector of AVX2 for the sum, 4 for the max) so the
// loop vectorises and the adds and compares overlap instead of waiting on one accumulator. The sum adds
// 4 floats per lane in float before the double add: the float-to-double conversions bound the loop, and
// rounding 4-term sums costs far less than the double accumulation saves over float.
double row_sum(const float* p, int64_t n) {
  return simd_run([&] {
    constexpr int kLanes = 8;
    double lane[kLanes] = {};
    int64_t j = 0;
    for (; j + 4 * kLanes <= n; j += 4 * kLanes)
      for (int l = 0; l < kLanes; l++) {
        const float* q = p + j + l;
        lane[l] += (q[0] + q[kLanes]) + (q[2 * kLanes] + q[3 * kLanes]);
      }
    double acc = 0;
    for (; j < n; j++) acc += p[j];
    for (int l = 0; l < kLanes; l++) acc += lane[l];
    return acc;
  });
}

// NaN wins: a lane that meets a NaN keeps it (no compare is true against it afterwards).
double row_max(const float* p, int64_t n) {
  return simd_run([&] {
    constexpr int kLanes = 32;
    float lane[kLanes];
    for (float& l : lane) l = -std::numeric_limits<float>::infinity();
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
      for (int l = 0; l < kLanes; l++) {
        const float v = p[j + l];
        lane[l] = v > lane[l] || v != v ? v : lane[l];
      }
    double acc = -std::numeric_limits<double>::infinity();
    for (; j < n; j++) acc = combine_max(acc, p[j]);
    for (float l : lane) acc = combine_max(acc, l);
    return acc;
  });
}

// acc[0..width) = op over `rows` rows (stride `inner`) of p[r·inner + i].
void strip(ReduceOp op, const float* p, int64_t rows, int64_t inner, int64_t width, double* acc) {
  if (op == ReduceOp::Sum) {
    std::fill(acc, acc + width, 0.0);
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4, p += 4 * inner)  // 4 rows summed in float, as in row_sum
      simd_for(width, [&](int64_t i) { acc[i] += (p[i] + p[i + inner]) + (p[i + 2 * inner] + p[i + 3 * inner]); });
    for (; r < rows; r++, p += inner) simd_for(width, [&](int64_t i) { acc[i] += p[i]; });
  } else {
    std::fill(acc, acc + width, -std::numeric_limits<double>::infinity());
    for (int64_t r = 0; r < rows; r++, p += inner) simd_for(width, [&](int64_t i) { acc[i] = combine_max(acc[i], p[i]); });
  }
}

}  // namespace

void reduce(ReduceOp op, Span x, const AxisView& v, Span out) {
  const auto [offset, outer, size, inner] = v;
  if (offset < 0 || outer < 0 || size < 0 || inner < 0 || offset + outer * size * inner > x.length) fail("reduce view exceeds its input buffer");
  check_length(out, outer * inner, "reduce output");
  if (op != ReduceOp::Sum && op != ReduceOp::Max) fail("unknown reduce op");
  const int64_t width = std::min(inner, kWidth);
  const int64_t strips = inner == 0 ? 0 : (inner + width - 1) / width;
  // Enough strips keep the threads busy without splitting the axis (and combining partials after).
  const int64_t rows_per_block =
      outer * strips >= kWholeAxisTasks ? std::max<int64_t>(1, size) : std::max<int64_t>(1, kBlock / std::max<int64_t>(inner, 1));
  const int64_t blocks = std::max<int64_t>(1, (size + rows_per_block - 1) / rows_per_block);
  const int64_t tasks = outer * strips * blocks;
  // Partials [block][outer·inner] when the axis spans several blocks; else straight to out.
  std::vector<double> partial(blocks > 1 ? blocks * outer * inner : 0);
  const float* src = x.data + offset;
  const int64_t per_task = std::max<int64_t>(1, std::min(size, rows_per_block) * width);
  parallel(tasks, std::max<int64_t>(1, kGrainCheap / per_task), [&](int64_t begin, int64_t end) {
    double acc[kWidth];
    for (int64_t t = begin; t < end; t++) {
      const int64_t block = t % blocks, s = (t / blocks) % strips, o = t / blocks / strips;
      const int64_t r0 = block * rows_per_block, rows = std::min(rows_per_block, size - r0);
      const int64_t i0 = s * width, w = std::min(width, inner - i0);
      const float* p = src + (o * size + r0) * inner + i0;
      if (inner == 1) acc[0] = op == ReduceOp::Sum ? row_sum(p, rows) : row_max(p, rows);
      else strip(op, p, rows, inner, w, acc);
      if (blocks == 1) {
        for (int64_t i = 0; i < w; i++) out.data[o * inner + i0 + i] = static_cast<float>(acc[i]);
      } else {
        std::copy(acc, acc + w, partial.data() + block * outer * inner + o * inner + i0);
      }
    }
  });
  if (blocks > 1) {
    const int64_t n = outer * inner;
    parallel(n, std::max<int64_t>(1, kGrainCheap / blocks), [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; j++) {
        double acc = partial[j];
        for (int64_t b = 1; b < blocks; b++) acc = op == ReduceOp::Sum ? acc + partial[b * n + j] : combine_max(acc, partial[b * n + j]);
        out.data[j] = static_cast<float>(acc);
      }
    });
  } else if (size == 0) {
    std::fill(out.data, out.data + outer * inner, op == ReduceOp::Sum ? 0.0f : -std::numeric_limits<float>::infinity());
  }
}

void softmax_backward(Span y, Span g, int64_t g_offset, const AxisView& v, bool log, Span out) {
  const auto [y_offset, outer, size, inner] = v;
  const int64_t n = outer * size * inner;
  if (outer < 0 || size < 0 || inner < 0 || y_offset < 0 || g_offset < 0 || y_offset + n > y.length || g_offset + n > g.length)
    fail("softmaxBackward view exceeds its input buffer");
  check_length(out, n, "softmaxBackward output");
  if (n == 0) return;
  const float* ys = y.data + y_offset;
  const float* gs = g.data + g_offset;
  parallel(outer, std::max<int64_t>(1, kGrainHeavy / (size * inner)), [&](int64_t begin, int64_t end) {
    std::vector<double> sums(inner == 1 ? 0 : inner);
    for (int64_t o = begin; o < end; o++) {
      const float* yr = ys + o * size * inner;
      const float* gr = gs + o * size * inner;
      float* q = out.data + o * size * inner;
      if (inner == 1) {  // contiguous rows
        if (log) {
          const float s = static_cast<float>(row_sum(gr, size));
          simd_for(size, [&](int64_t r) { q[r] = gr[r] - vexp(yr[r]) * s; });
        } else {
          simd_for(size, [&](int64_t r) { q[r] = gr[r] * yr[r]; });  // Σ g·y in double, then the gradient in place
          const float s = static_cast<float>(row_sum(q, size));
          simd_for(size, [&](int64_t r) { q[r] = yr[r] * (gr[r] - s); });
        }
        continue;
      }
      // Rows along the middle axis: the sums of all inner positions at once, a row of `inner` at a time.
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t r = 0; r < size; r++) {
        const float *yi = yr + r * inner, *gi = gr + r * inner;
        simd_for(inner, [&](int64_t i) { sums[i] += log ? gi[i] : gi[i] * yi[i]; });
      }
      for (int64_t r = 0; r < size; r++) {
        const float *yi = yr + r * inner, *gi = gr + r * inner;
        float* qi = q + r * inner;
        simd_for(inner, [&](int64_t i) {
          const float s = static_cast<float>(sums[i]);
          qi[i] = log ? gi[i] - vexp(yi[i]) * s : yi[i] * (gi[i] - s);
        });
      }
    }
  });
}

void softmax(Span x, const AxisView& v, bool log, Span out) {
  const auto [offset, outer, size, inner] = v;
  if (offset < 0 || outer < 0 || size < 0 || inner < 0 || offset + outer * size * inner > x.length) fail("softmax view exceeds its input buffer");
  check_length(out, outer * size * inner, "softmax output");
  if (outer * size * inner == 0) return;
  const float* src = x.data + offset;
  if (inner == 1) {  // contiguous rows
    parallel(outer, std::max<int64_t>(1, kGrainHeavy / size), [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; o++) {
        const float* p = src + o * size;
        float* q = out.data + o * size;
        const float max = static_cast<float>(row_max(p, size));
        simd_for(size, [&](int64_t r) { q[r] = vexp(p[r] - max); });  // the log form overwrites them below
        const double sum = row_sum(q, size);
        if (log) {
          const double shift = max + std::log(sum);
          simd_for(size, [&](int64_t r) { q[r] = static_cast<float>(p[r] - shift); });
        } else {
          const float scale = static_cast<float>(1.0 / sum);
          simd_for(size, [&](int64_t r) { q[r] *= scale; });
        }
      }
    });
    return;
  }
  const int64_t width = std::min(inner, kWidth);
  const int64_t strips = (inner + width - 1) / width;
  parallel(outer * strips, std::max<int64_t>(1, kGrainHeavy / (size * width)), [&](int64_t begin, int64_t end) {
    double max[kWidth], sum[kWidth];
    for (int64_t t = begin; t < end; t++) {
      const int64_t o = t / strips, i0 = (t % strips) * width, w = std::min(width, inner - i0);
      const float* p = src + o * size * inner + i0;
      float* q = out.data + o * size * inner + i0;
      // Math.max semantics: NaN anywhere makes the row NaN.
      std::fill(max, max + w, -std::numeric_limits<double>::infinity());
      for (int64_t r = 0; r < size; r++)
        for (int64_t i = 0; i < w; i++) {
          const double e = p[r * inner + i];
          max[i] = e > max[i] || e != e ? e : max[i];
        }
      // exp in float (the shift is exact enough: max is one of the values), summed in double; the log
      // form overwrites the exponentials below.
      std::fill(sum, sum + w, 0.0);
      for (int64_t r = 0; r < size; r++)
        for (int64_t i = 0; i < w; i++) {
          const float e = vexp(static_cast<float>(p[r * inner + i] - max[i]));
          q[r * inner + i] = e;
          sum[i] += e;
        }
      if (log) {
        for (int64_t i = 0; i < w; i++) sum[i] = std::log(sum[i]);
        for (int64_t r = 0; r < size; r++)
          for (int64_t i = 0; i < w; i++) q[r * inner + i] = static_cast<float>(p[r * inner + i] - max[i] - sum[i]);
      } else {
        for (int64_t i = 0; i < w; i++) sum[i] = 1.0 / sum[i];
        for (int64_t r = 0; r < size; r++)
          for (int64_t i = 0; i < w; i++) q[r * inner + i] = static_cast<float>(q[r * inner + i] * sum[i]);
      }
    }
  });
}

}  // namespace webgrad
