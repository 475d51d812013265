// Convolutions as im2col + sgemm (conv.h); K = c·kh·kw is the reduced dim, L = oh·ow the positions:
//   forward  y[n] = W [o, K] · cols[n] [K, L]        one batched sgemm over the images
//   input    gcols[n] = Wᵀ [K, o] · gy[n] [o, L]      then col2im adds each column entry to its pixel
//   weight   gW = gy' [o, n·L] · colsᵀ [n·L, K]      one sgemm whose k loop is the sum over the batch:
//            gy permuted to [o, n, L] and the columns written [K, n, L]
// The column buffers are scratch kept between calls (the backend is driven from one JS thread), at
// most 64 MiB each: a large batch goes through in chunks of images.
#include "conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>
#include <utility>
#include <vector>

#include "gemm.h"

namespace webgrad {
namespace {

float* scratch(int which, int64_t n) {
  static std::vector<float> buffers[3];
  std::vector<float>& b = buffers[which];
  if (static_cast<int64_t>(b.size()) < n) b.resize(n);
  return b.data();
}

/** Splits the (image, channel) planes over the pool, a few thousand elements of work at least per task. */
template <typename F>
void for_planes(const ConvGeometry& g, int64_t work_per_plane, ThreadPool& pool, F&& f) {
  pool.parallel_for(g.n * g.c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, work_per_plane)), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; p++) f(p / g.c, p % g.c);
  });
}

/**
 * The input row of kernel row ki at output row oi (or −1 in the padding), and the same for columns:
 * position (oi, oj) of kernel entry (ki, kj) reads x[r, q].
 */
inline int64_t source(int64_t out, int64_t stride, int64_t pad, int64_t k, int64_t dilation, int64_t size) {
  const int64_t at = out * stride - pad + k * dilation;
  return at >= 0 && at < size ? at : -1;
}

/** cols[n·image + k·row + l] = x[n, c, r, q] (0 in the padding) for k = (c, ki, kj) and l = (oi, oj). */
void im2col(const ConvGeometry& g, const float* x, float* cols, int64_t image, int64_t row, ThreadPool& pool) {
  for_planes(g, g.kh * g.kw * g.oh * g.ow, pool, [&](int64_t n, int64_t c) {
    const float* plane = x + (n * g.c + c) * g.h * g.w;
    for (int64_t ki = 0; ki < g.kh; ki++)
      for (int64_t kj = 0; kj < g.kw; kj++) {
        float* dst = cols + n * image + ((c * g.kh + ki) * g.kw + kj) * row;
        for (int64_t oi = 0; oi < g.oh; oi++, dst += g.ow) {
          const int64_t r = source(oi, g.sh, g.ph, ki, g.dh, g.h);
          for (int64_t oj = 0; oj < g.ow; oj++) {
            const int64_t q = source(oj, g.sw, g.pw, kj, g.dw, g.w);
            dst[oj] = r >= 0 && q >= 0 ? plane[r * g.w + q] : 0.0f;
          }
        }
      }
  });
}

/** x[n, c, r, q] = Σ of the cols entries im2col would take from it ([n, K, L] columns). */
void col2im(const ConvGeometry& g, const float* cols, float* x, ThreadPool& pool) {
  const int64_t L = g.oh * g.ow, K = g.c * g.kh * g.kw;
  for_planes(g, g.kh * g.kw * L, pool, [&](int64_t n, int64_t c) {
    float* plane = x + (n * g.c + c) * g.h * g.w;
    std::fill(plane, plane + g.h * g.w, 0.0f);
    for (int64_t ki = 0; ki < g.kh; ki++)
      for (int64_t kj = 0; kj < g.kw; kj++) {
        const float* src = cols + n * K * L + ((c * g.kh + ki) * g.kw + kj) * L;
        for (int64_t oi = 0; oi < g.oh; oi++, src += g.ow) {
          const int64_t r = source(oi, g.sh, g.ph, ki, g.dh, g.h);
          if (r < 0) continue;
          for (int64_t oj = 0; oj < g.ow; oj++) {
            const int64_t q = source(oj, g.sw, g.pw, kj, g.dw, g.w);
            if (q >= 0) plane[r * g.w + q] += src[oj];
          }
        }
      }
  });
}

/** The images of one step are bounded so that a step's scratch stays under 64 MiB (one image at least). */
constexpr int64_t kScratchFloats = int64_t{1} << 24;

/** Calls f(part, n0) for consecutive chunks of images: part is g with part.n images, from image n0. */
template <typename F>
void by_chunks(const ConvGeometry& g, int64_t floats_per_image, F&& f) {
  const int64_t step = std::max<int64_t>(1, kScratchFloats / std::max<int64_t>(1, floats_per_image));
  for (int64_t n0 = 0; n0 < g.n; n0 += step) {
    ConvGeometry part = g;
    part.n = std::min(step, g.n - n0);
    f(part, n0);
  }
}

/** A 1×1 kernel of stride 1 without padding reads x itself as its columns. */
bool pointwise(const ConvGeometry& g) { return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0; }

}  // namespace

void conv2d(const ConvGeometry& g, const float* x, const float* weight, float* y, ThreadPool& pool) {
  const int64_t K = g.c * g.kh * g.kw, L = g.oh * g.ow;
  by_chunks(g, K * L, [&](const ConvGeometry& part, int64_t n0) {
    const float* input = x + n0 * g.c * g.h * g.w;
    const float* cols = input;
    if (!pointwise(g)) {
      float* buffer = scratch(0, part.n * K * L);
      im2col(part, input, buffer, K * L, L, pool);
      cols = buffer;
    }
    sgemm(part.n, g.o, L, K, MatrixView{weight, 0, K, 1}, MatrixView{cols, K * L, L, 1}, nullptr, 0, y + n0 * g.o * L, pool);
  });
}

void conv2d_input_grad(const ConvGeometry& g, const float* gy, const float* weight, float* gx, ThreadPool& pool) {
  const int64_t K = g.c * g.kh * g.kw, L = g.oh * g.ow;
  const MatrixView weight_t{weight, 0, 1, K};
  by_chunks(g, K * L, [&](const ConvGeometry& part, int64_t n0) {
    const MatrixView grads{gy + n0 * g.o * L, g.o * L, L, 1};
    float* input = gx + n0 * g.c * g.h * g.w;
    if (pointwise(g)) return sgemm(part.n, K, L, g.o, weight_t, grads, nullptr, 0, input, pool);
    float* cols = scratch(0, part.n * K * L);
    sgemm(part.n, K, L, g.o, weight_t, grads, nullptr, 0, cols, pool);
    col2im(part, cols, input, pool);
  });
}

void conv2d_weight_grad(const ConvGeometry& g, const float* x, const float* gy, float* gw, ThreadPool& pool) {
  const int64_t K = g.c * g.kh * g.kw, L = g.oh * g.ow;
  std::fill(gw, gw + g.o * K, 0.0f);
  by_chunks(g, (K + g.o) * L, [&](const ConvGeometry& part, int64_t n0) {
    const int64_t NL = part.n * L;
    float* cols = scratch(0, K * NL);
    im2col(part, x + n0 * g.c * g.h * g.w, cols, L, NL, pool);
    float* permuted = scratch(1, g.o * NL);
    pool.parallel_for(g.o * part.n, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, L)), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; p++) {
        const int64_t o = p / part.n, n = p % part.n;
        const float* src = gy + ((n0 + n) * g.o + o) * L;
        std::copy(src, src + L, permuted + o * NL + n * L);
      }
    });
    float* sum = scratch(2, g.o * K);
    sgemm(1, g.o, K, NL, MatrixView{permuted, 0, NL, 1}, MatrixView{cols, 0, 1, NL}, nullptr, 0, sum, pool);
    for (int64_t i = 0; i < g.o * K; i++) gw[i] += sum[i];
  });
}

/** The kernel entries [first, last) of one axis whose input position (out·stride − pad + k·dilation) is inside [0, size). */
inline std::pair<int64_t, int64_t> inside(int64_t start, int64_t kernel, int64_t dilation, int64_t size) {
  int64_t first = 0, last = kernel;
  while (first < last && start + first * dilation < 0) first++;
  while (last > first && start + (last - 1) * dilation >= size) last--;
  return {first, last};
}

void max_pool2d_indices(const ConvGeometry& g, const float* x, float* indices, ThreadPool& pool) {
  // Each output column's first input column and its range of kernel columns inside the input, once for all planes.
  std::vector<int64_t> q0(g.ow), kj0(g.ow), kj1(g.ow);
  for (int64_t oj = 0; oj < g.ow; oj++) {
    q0[oj] = oj * g.sw - g.pw;
    std::tie(kj0[oj], kj1[oj]) = inside(q0[oj], g.kw, g.dw, g.w);
  }
  for_planes(g, g.kh * g.kw * g.oh * g.ow, pool, [&, ow = g.ow, kw = g.kw, dw = g.dw, width = g.w](int64_t n, int64_t c) {
    const float* plane = x + (n * g.c + c) * g.h * width;
    thread_local std::vector<float> max_row;
    thread_local std::vector<int64_t> best_row;  // the running argmax of each output of a row
    max_row.assign(ow, 0.0f);
    best_row.assign(ow, -1);
    float* __restrict max = max_row.data();
    int64_t* __restrict best = best_row.data();
    const int64_t *first = kj0.data(), *last = kj1.data(), *start = q0.data();
    for (int64_t oi = 0; oi < g.oh; oi++) {
      std::fill(best, best + ow, -1);
      const int64_t r0 = oi * g.sh - g.ph;
      const auto [ki0, ki1] = inside(r0, g.kh, g.dh, g.h);
      // Window entries in order, a row of outputs at a time: the outputs' updates are independent,
      // so they overlap (one output's compare-and-select chain would wait on itself).
      for (int64_t ki = ki0; ki < ki1; ki++) {
        const float* row = plane + (r0 + ki * g.dh) * width;
        for (int64_t kj = 0; kj < kw; kj++) {
          for (int64_t oj = 0; oj < ow; oj++) {
            if (kj < first[oj] || kj >= last[oj]) continue;
            const int64_t at = start[oj] + kj * dw;
            const float v = row[at];
            // Branch-free (random data would mispredict a branch half the time): masks select.
            const int64_t take = -static_cast<int64_t>((best[oj] < 0) | (v > max[oj]) | (v != v));
            best[oj] = (best[oj] & ~take) | (((row - plane) + at) & take);
            uint32_t vb, mb;
            std::memcpy(&vb, &v, 4);
            std::memcpy(&mb, &max[oj], 4);
            mb = (mb & ~static_cast<uint32_t>(take)) | (vb & static_cast<uint32_t>(take));
            std::memcpy(&max[oj], &mb, 4);
          }
        }
      }
      float* out = indices + ((n * g.c + c) * g.oh + oi) * ow;
      for (int64_t oj = 0; oj < ow; oj++) out[oj] = static_cast<float>(best[oj]);
    }
  });
}

}  // namespace webgrad
