// Vectorised loops for every x86-64 CPU: simd_for(n, body) runs body(j) for j in [0, n), and
// simd_run(fn) runs fn(), from a copy compiled for AVX2+FMA when the CPU has them (checked once at
// run time), else from the baseline copy (SSE2 on x86-64, NEON on arm64). The lambda is inlined into
// each copy, so the same source vectorises 8 lanes wide where it can and 4 where it must. A reduction
// keeps its accumulators inside simd_run's lambda: captured by reference from outside, float
// accumulators may alias the float input, and the compiler leaves the loop scalar.
#pragma once
#include <cstdint>

namespace webgrad {

/** Whether this CPU (and OS) runs AVX2 and FMA code: what picks the GEMM kernel and simd_for's copy. */
inline bool has_avx2_fma() {
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
#else
  return false;
#endif
}

namespace simd_detail {
template <class Fn>
decltype(auto) call(Fn& fn) {
  return fn();
}
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
template <class Fn>
__attribute__((target("avx2,fma"))) decltype(auto) call_avx2(Fn& fn) {
  return fn();
}
#endif
}  // namespace simd_detail

/** fn() compiled into the AVX2+FMA copy or the baseline one (a loop with its accumulators inside fn). */
template <class Fn>
inline decltype(auto) simd_run(Fn&& fn) {
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
  if (has_avx2_fma()) return simd_detail::call_avx2(fn);
#endif
  return simd_detail::call(fn);
}

/** body(j) for j in [0, n), from the AVX2+FMA copy or the baseline one. */
template <class Body>
inline void simd_for(int64_t n, Body&& body) {
  simd_run([&] {
    for (int64_t j = 0; j < n; j++) body(j);
  });
}

}  // namespace webgrad
