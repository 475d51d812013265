// sgemm (gemm.h): picks the micro-kernel at run time (AVX2+FMA on x86-64 when the CPU has it, else the
// portable one) and does the packing, blocking and threading both kernels share.
//
// Blocking (Goto/BLIS): for each Nc-wide column block of B and each Kc-deep slice of k, the Kc×Nc block of
// B is packed into NR-wide panels (kept in L3, reused by every row block); for each Mc-tall row block of
// A, the Mc×Kc block is packed into MR-tall panels (kept in L2); the micro-kernel then sweeps
// MR×NR tiles of C, streaming one Kc×NR panel of B from L1 against the A panels. Packing makes every
// stride pattern (transposed, broadcast batch) run at the speed of the contiguous one, and zero-pads the
// edges so the kernel only ever sees full tiles. k is split into equal slices, so a product with k just
// above Kc does not pay a second pass over C for a sliver.
//
// Threading: each product is cut into a grid of pm × pn sub-blocks of C (pm·pn chosen so batch·pm·pn is
// a multiple of the thread count and the sub-blocks are near square), and each task packs its own
// operands into thread-local buffers; a 1024² product on 2 threads is two 1024×512 halves. Products below
// kParallelMinMacs stay on the calling thread, where the pool's wake-up (≈50 µs on a 2-core VM) would cost
// more than the second core saves. Packing itself is cheap enough that the packed path wins even at 8×8×8
// (measured: bench/native-gemm.md); only products with m ≤ 2, which give packed B panels no reuse, take a
// direct loop over the views, as do products with k ≤ 4 (an outer product: packing would only add a
// pass), and products with n ≤ 4 contiguous columns of B (a head's Linear(·→1)) are dot products.
#include "gemm.h"

#include <algorithm>
#include <new>
#include <numeric>
#include <vector>

#include "gemm_kernels.h"
#include "simd.h"

namespace webgrad {
namespace {

using gemm::MR;
using gemm::NR;

// A Kc×NR panel of B (16 KiB) plus an MR×Kc panel of A (6 KiB) stay in the 32 KiB L1; the Mc×Kc block
// of A (72 KiB) in L2; the Kc×Nc block of B (up to 4 MiB) in L3.
constexpr int64_t KC = 256, MC = 72, NC = 4096;
constexpr int64_t kParallelMinMacs = 200 * 200 * 200;  // ≈170 µs on one core
// Tasks per thread for a large product: when a thread is slow to start (its core lent to V8's garbage
// collector, or to another process), the others take its tasks instead of waiting for it.
constexpr int64_t kTasksPerThread = 2;
constexpr int64_t kThinN = 4;  // products this thin (a head's output) are dot products (thin())
constexpr int64_t kThinK = 4;  // and products this shallow (a head's dX, an outer product) direct loops

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// has_avx2_fma is GCC/Clang's __builtin_cpu_supports (it also checks that the OS saves ymm state); MSVC
// builds take the portable kernel.
gemm::Kernel pick_kernel() {
#if defined(__x86_64__) || defined(_M_X64)
  if (has_avx2_fma()) return gemm::kernel_avx2;
#endif
  return gemm::kernel_generic;
}

/** A grow-only, 64-byte-aligned float buffer: one per thread for each packed operand, reused across calls. */
class Scratch {
 public:
  ~Scratch() { release(); }
  float* get(int64_t n) {
    if (n > size_) {
      release();
      data_ = static_cast<float*>(::operator new(n * sizeof(float), std::align_val_t{64}));
      size_ = n;
    }
    return data_;
  }

 private:
  void release() {
    if (data_) ::operator delete(data_, std::align_val_t{64});
    data_ = nullptr;
    size_ = 0;
  }
  float* data_ = nullptr;
  int64_t size_ = 0;
};

/**
 * Packs the kc × xc block src[l·ks + x·xs] into panels of W consecutive x, in the order the micro-kernel
 * reads them: dst[q·kc·W + l·W + x'] = src(l, q·W + x'), zero past xc. A block (x = row) packs with W = MR,
 * a B block (x = column) with W = NR.
 */
template <int W>
void pack(const float* src, int64_t ks, int64_t xs, int64_t kc, int64_t xc, float* dst) {
  for (int64_t x0 = 0; x0 < xc; x0 += W, src += W * xs, dst += kc * W) {
    const int w = static_cast<int>(std::min<int64_t>(W, xc - x0));
    if (xs == 1 && w == W) {  // rows of W contiguous floats
      for (int64_t l = 0; l < kc; l++)
        for (int x = 0; x < W; x++) dst[l * W + x] = src[l * ks + x];
      continue;
    }
    for (int x = 0; x < W; x++)  // one x at a time: a contiguous read when ks == 1 (a transposed view)
      for (int64_t l = 0; l < kc; l++) dst[l * W + x] = x < w ? src[l * ks + x * xs] : 0.0f;
  }
}

struct Product {
  int64_t m, n, k;
  MatrixView a, b;
  const float* bias_row;  // n rounded up to NR floats: the bias, or zeros
  float* c;
  gemm::Kernel kernel;
};

/** One MR×NR tile; an edge tile runs on a full-size copy so the kernel never needs masks. */
void tile(const Product& p, int64_t kc, const float* ap, const float* bp, const float* bias, bool accumulate, float* c, int64_t mr,
          int64_t nr) {
  if (mr == MR && nr == NR) return p.kernel(kc, ap, bp, bias, accumulate, c, p.n);
  alignas(64) float t[MR * NR];
  for (int64_t i = 0; accumulate && i < mr; i++) std::copy(c + i * p.n, c + i * p.n + nr, t + i * NR);
  p.kernel(kc, ap, bp, bias, accumulate, t, NR);
  for (int64_t i = 0; i < mr; i++) std::copy(t + i * NR, t + i * NR + nr, c + i * p.n);
}

/** Rows [m0, m1) × columns [n0, n1) of C[batch] through the packed, blocked path. */
void block(const Product& p, int64_t batch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  thread_local Scratch a_scratch, b_scratch;
  const float* a = p.a.data + batch * p.a.batch_stride;
  const float* b = p.b.data + batch * p.b.batch_stride;
  float* c = p.c + batch * p.m * p.n;
  const int64_t kc_max = ceil_div(p.k, ceil_div(p.k, KC));
  float* ap = a_scratch.get(round_up(std::min(MC, m1 - m0), MR) * kc_max);
  float* bp = b_scratch.get(kc_max * round_up(std::min(NC, n1 - n0), NR));
  for (int64_t jc = n0; jc < n1; jc += NC) {
    const int64_t nc = std::min(NC, n1 - jc);
    for (int64_t pc = 0; pc < p.k; pc += kc_max) {
      const int64_t kc = std::min(kc_max, p.k - pc);
      pack<NR>(b + pc * p.b.row_stride + jc * p.b.col_stride, p.b.row_stride, p.b.col_stride, kc, nc, bp);
      for (int64_t ic = m0; ic < m1; ic += MC) {
        const int64_t mc = std::min(MC, m1 - ic);
        pack<MR>(a + ic * p.a.row_stride + pc * p.a.col_stride, p.a.col_stride, p.a.row_stride, kc, mc, ap);
        for (int64_t jr = 0; jr < nc; jr += NR)
          for (int64_t ir = 0; ir < mc; ir += MR)
            tile(p, kc, ap + ir * kc, bp + jr * kc, p.bias_row + jc + jr, pc > 0, c + (ic + ir) * p.n + jc + jr,
                 std::min<int64_t>(MR, mc - ir), std::min<int64_t>(NR, nc - jr));
      }
    }
  }
}

/** C = bias + A·B straight from the views, row by row (k = 0, or m ≤ 2 or k ≤ kThinK with contiguous rows of B). */
void direct(int64_t batch, int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, const float* bias, int64_t bias_stride,
            float* c) {
  for (int64_t p = 0; p < batch; p++)
    for (int64_t i = 0; i < m; i++, c += n) {
      for (int64_t j = 0; j < n; j++) c[j] = bias ? bias[j * bias_stride] : 0.0f;
      const float* ai = a.data + p * a.batch_stride + i * a.row_stride;
      for (int64_t l = 0; l < k; l++) {
        const float ail = ai[l * a.col_stride];
        const float* bl = b.data + p * b.batch_stride + l * b.row_stride;
        for (int64_t j = 0; j < n; j++) c[j] += ail * bl[j];
      }
    }
}

/** Σ_l x[l]·y[l] of two contiguous vectors, in 32 float lanes (summed in float, like the kernel's k loop). */
float dot(const float* x, const float* y, int64_t k) {
  return simd_run([&] {
    constexpr int kLanes = 32;
    float lane[kLanes] = {};
    int64_t l = 0;
    for (; l + kLanes <= k; l += kLanes)
      for (int i = 0; i < kLanes; i++) lane[i] += x[l + i] * y[l + i];
    float acc = 0;
    for (; l < k; l++) acc += x[l] * y[l];
    for (float v : lane) acc += v;
    return acc;
  });
}

/**
 * C = bias + A·B as m·n dot products, for a thin B (n ≤ kThinN columns, each contiguous, like a head's
 * Wᵀ) against contiguous rows of A: the packed path would copy all of A into panels and multiply it
 * by NR-wide panels of B that are mostly padding.
 */
void thin(int64_t batch, int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, const float* bias, int64_t bias_stride, float* c,
          ThreadPool& pool) {
  const int64_t rows = batch * m, grain = std::max<int64_t>(1, kParallelMinMacs / std::max<int64_t>(n * k, 1));
  pool.parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const int64_t p = r / m, i = r % m;
      const float* ai = a.data + p * a.batch_stride + i * a.row_stride;
      for (int64_t j = 0; j < n; j++)
        c[r * n + j] = (bias ? bias[j * bias_stride] : 0.0f) + dot(ai, b.data + p * b.batch_stride + j * b.col_stride, k);
    }
  });
}

}  // namespace

void sgemm(int64_t batch, int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, const float* bias, int64_t bias_stride, float* c,
           ThreadPool& pool) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  if (k == 0 || ((m <= 2 || k <= kThinK) && b.col_stride == 1)) return direct(batch, m, n, k, a, b, bias, bias_stride, c);
  if (n <= kThinN && a.col_stride == 1 && b.row_stride == 1) return thin(batch, m, n, k, a, b, bias, bias_stride, c, pool);

  static const gemm::Kernel kernel = pick_kernel();
  std::vector<float> bias_row(round_up(n, NR), 0.0f);
  for (int64_t j = 0; bias && j < n; j++) bias_row[j] = bias[j * bias_stride];
  const Product product{m, n, k, a, b, bias_row.data(), c, kernel};

  // Cut each product into pm × pn sub-blocks so the batch·pm·pn tasks share out evenly over the threads,
  // choosing the factorisation that gives the squarest sub-blocks (the least packing per task).
  const int64_t macs = batch * m * n * k, threads = macs >= kParallelMinMacs ? pool.size() : 1;
  const int64_t slots = threads == 1 ? 1 : threads * std::clamp<int64_t>(macs / (threads * kParallelMinMacs), 1, kTasksPerThread);
  const int64_t parts = slots / std::gcd(batch, slots);
  int64_t pm = 1, m_step = m, n_step = n;
  for (int64_t d = 1; d <= parts; d++) {
    if (parts % d) continue;
    const int64_t ms = round_up(ceil_div(m, d), MR), ns = round_up(ceil_div(n, parts / d), NR);
    if (d == 1 || std::max(ms, ns) < std::max(m_step, n_step)) pm = d, m_step = ms, n_step = ns;
  }
  const int64_t pn = parts / pm, tasks = batch * parts;
  pool.parallel_for(tasks, threads > 1 ? 1 : tasks, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      const int64_t m0 = (t / pn % pm) * m_step, n0 = (t % pn) * n_step;
      if (m0 < m && n0 < n) block(product, t / parts, m0, std::min(m, m0 + m_step), n0, std::min(n, n0 + n_step));
    }
  });
}

}  // namespace webgrad
