// The AVX2/FMA micro-kernel (see gemm_kernels.h). Built with -mavx2 -mfma on x86-64 only and called only
// after gemm.cc's run-time check; compiles to nothing elsewhere. Each step of k loads one 16-wide row of the
// packed B panel (2 ymm), broadcasts the 6 packed A values one by one and issues 12 independent FMAs into
// the 12 ymm accumulators — enough independent chains to cover FMA latency on both FMA ports.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "gemm_kernels.h"

namespace webgrad::gemm {

static_assert(MR == 6 && NR == 16, "the AVX2 kernel is written for a 6x16 tile");

void kernel_avx2(int64_t kc, const float* a, const float* b, const float* bias, bool accumulate, float* c, int64_t ldc) {
  __m256 lo[MR], hi[MR];  // columns 0-7 and 8-15 of each row
  for (int i = 0; i < MR; i++) lo[i] = hi[i] = _mm256_setzero_ps();
  for (int64_t l = 0; l < kc; l++, a += MR, b += NR) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    for (int i = 0; i < MR; i++) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      lo[i] = _mm256_fmadd_ps(ai, b0, lo[i]);
      hi[i] = _mm256_fmadd_ps(ai, b1, hi[i]);
    }
  }
#pragma GCC unroll 6  // fully unrolled, so the accumulators never leave registers
  for (int i = 0; i < MR; i++) {
    float* ci = c + i * ldc;
    const float* base = accumulate ? ci : bias;
    _mm256_storeu_ps(ci, _mm256_add_ps(lo[i], _mm256_loadu_ps(base)));
    _mm256_storeu_ps(ci + 8, _mm256_add_ps(hi[i], _mm256_loadu_ps(base + 8)));
  }
}

}  // namespace webgrad::gemm
#endif
