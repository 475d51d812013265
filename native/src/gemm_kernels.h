// Private to gemm*.cc: the register tile shared by the packing/blocking driver (gemm.cc) and the two
// micro-kernels it dispatches to at run time, gemm_avx2.cc (x86-64 with AVX2+FMA, built with -mavx2 -mfma)
// and gemm_generic.cc (plain C++ the compiler vectorises for whatever the target has: NEON, SSE2).
#pragma once
#include <cstdint>

namespace webgrad::gemm {

/** The register tile: MR rows × NR columns of C stay in registers for a whole Kc block (AVX2: 12 ymm). */
constexpr int MR = 6, NR = 16;

/**
 * One MR×NR tile of C from packed, 32-byte-aligned panels: acc[i][j] = Σ_{l<kc} a[l·MR + i] · b[l·NR + j],
 * then c[i·ldc + j] = acc[i][j] + (accumulate ? c[i·ldc + j] : bias[j]) (the epilogue; bias holds NR floats).
 */
using Kernel = void (*)(int64_t kc, const float* a, const float* b, const float* bias, bool accumulate, float* c, int64_t ldc);

void kernel_generic(int64_t kc, const float* a, const float* b, const float* bias, bool accumulate, float* c, int64_t ldc);
#if defined(__x86_64__) || defined(_M_X64)
void kernel_avx2(int64_t kc, const float* a, const float* b, const float* bias, bool accumulate, float* c, int64_t ldc);
#endif

}  // namespace webgrad::gemm
