// The portable micro-kernel (see gemm_kernels.h): plain loops over an MR×NR accumulator array. The row
// loop is unrolled so each row's NR-wide update becomes a few vector multiply-adds (NEON on arm64, whose
// 32 vector registers hold all 24 quad-register accumulators; SSE2 on x86-64 without AVX2). Used wherever
// gemm.cc's run-time check finds no AVX2+FMA.
#include "gemm_kernels.h"

namespace webgrad::gemm {

void kernel_generic(int64_t kc, const float* a, const float* b, const float* bias, bool accumulate, float* c, int64_t ldc) {
  float acc[MR][NR] = {};
  for (int64_t l = 0; l < kc; l++, a += MR, b += NR) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const float ai = a[i];
      for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    float* ci = c + i * ldc;
    const float* base = accumulate ? ci : bias;
    for (int j = 0; j < NR; j++) ci[j] = acc[i][j] + base[j];
  }
}

}  // namespace webgrad::gemm
