// The elementwise ops' C++ functors: the same table as src/backend/elementwise-ops.ts (there, each
// op's reference function and WGSL expression), as X-macros. A unary row is (name, grain, expression
// in the float element v, the float scalar a and the double scalar alpha); a binary row is (name,
// expression in the floats p and q). The order is the addon's op code; the TypeScript side maps by name.
#pragma once
#include <cmath>

#include "vector_math.h"

namespace webgrad {

// JS `x ** a` (the reference's powS and pow): like pow except a NaN exponent always gives NaN and
// (±1) ** ±Infinity is NaN (C's pow gives 1 for both).
inline float js_pow(float x, float a) {
  if (a == 2.0f) return x * x;
  if (a == 1.0f) return x;
  if (std::isnan(a) || (std::isinf(a) && std::fabs(x) == 1.0f)) return NAN;
  return std::pow(x, a);
}

/** The standard normal CDF Φ(x) = ½·erfc(−x/√2). */
inline float normal_cdf(float x) { return 0.5f * std::erfc(-x * 0.70710678f); }

#define WEBGRAD_UNARY_OPS(X)                                                            \
  X(copy, Cheap, v)                                                                     \
  X(neg, Cheap, -v)                                                                     \
  X(exp, Heavy, vexp(v))                                                                \
  X(expm1, Heavy, std::expm1(v))                                                        \
  X(log, Heavy, std::log(v))                                                            \
  X(log1p, Heavy, std::log1p(v))                                                        \
  X(sqrt, Cheap, std::sqrt(v))                                                          \
  X(rsqrt, Cheap, 1.0f / std::sqrt(v))                                                  \
  X(reciprocal, Cheap, 1.0f / v)                                                        \
  X(square, Cheap, v * v)                                                               \
  X(abs, Cheap, std::fabs(v))                                                           \
  X(sign, Cheap, v > 0 ? 1.0f : v < 0 ? -1.0f : v)                                      \
  X(sin, Heavy, std::sin(v))                                                            \
  X(cos, Heavy, std::cos(v))                                                            \
  X(tanh, Heavy, vtanh(v))                                                              \
  X(sigmoid, Heavy, 1.0f / (1.0f + vexp(-v)))                                           \
  X(relu, Cheap, v <= 0 ? 0.0f : v) /* NaN stays NaN */                                 \
  X(softplus, Heavy, (v > 0 || v != v ? v : 0.0f) + std::log1p(std::exp(-std::fabs(v)))) \
  X(gelu, Heavy, v * normal_cdf(v))                                                     \
  X(geluGrad, Heavy, normal_cdf(v) + v * 0.39894228f * std::exp(-0.5f * v * v))         \
  X(leakyRelu, Cheap, v > 0 ? v : a * v)                                                \
  X(leakyReluGrad, Cheap, v > 0 ? 1.0f : a)                                             \
  X(elu, Heavy, v > 0 ? v : a * std::expm1(v))                                          \
  X(addS, Cheap, v + a)                                                                 \
  X(mulS, Cheap, v * a)                                                                 \
  X(rsubS, Cheap, a - v)                                                                \
  X(powS, Heavy, js_pow(v, a))                                                          \
  X(gtS, Cheap, static_cast<double>(v) > alpha ? 1.0f : 0.0f) /* in double, as the reference */

#define WEBGRAD_BINARY_OPS(X)                             \
  X(add, p + q)                                           \
  X(sub, p - q)                                           \
  X(mul, p * q)                                           \
  X(div, p / q)                                           \
  X(pow, js_pow(p, q))                                    \
  X(maximum, p >= q || p != p ? p : q) /* NaN wins */     \
  X(minimum, p <= q || p != p ? p : q)                    \
  X(eq, p == q ? 1.0f : 0.0f)                             \
  X(ne, p != q ? 1.0f : 0.0f)                             \
  X(gt, p > q ? 1.0f : 0.0f)                              \
  X(ge, p >= q ? 1.0f : 0.0f)

}  // namespace webgrad
