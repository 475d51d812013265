// Unary and binary ops over coalesced strided views (view.h): each innermost run takes a contiguous
// fast path the compiler vectorises (stride 1, or stride 0 for a broadcast operand) or a strided one.
// Single-threaded below the grain, split over the pool above it.
#include "elementwise.h"

#include <cmath>

namespace webgrad {
namespace {

// JS `x ** a` (the reference's powS and pow): like pow except a NaN exponent always gives NaN and
// (±1) ** ±Infinity is NaN (C's pow gives 1 for both).
inline float js_pow(float x, float a) {
  if (a == 2.0f) return x * x;
  if (a == 1.0f) return x;
  if (std::isnan(a) || (std::isinf(a) && std::fabs(x) == 1.0f)) return NAN;
  return std::pow(x, a);
}

// tanh from one double exp (glibc's tanhf and expm1f are several times slower than exp): in double,
// (e − 1)/(e + 1) loses nothing a float result keeps for |x| ≥ 1e-4, and below that tanh x rounds
// to x. ±1 beyond |x| = 9, where float tanh is ±1 anyway. NaN stays NaN.
inline float fast_tanh(float x) {
  const float a = std::fabs(x);
  if (a < 1e-4f) return x;
  if (a > 9.0f) return std::copysign(1.0f, x);
  const double e = std::exp(2.0 * a);
  return std::copysign(static_cast<float>((e - 1.0) / (e + 1.0)), x);
}

template <class F>
void run_unary(const float* x, const StridedLoop<2>& loop, float* out, int64_t grain, F f) {
  parallel(loop.size, grain, [&](int64_t begin, int64_t end) {
    for_each_run(loop, begin, end, [&](int64_t, int64_t len, const int64_t* off, const int64_t* step) {
      float* o = out + off[0];
      const float* s = x + off[1];
      if (step[0] == 1 && step[1] == 1) {
        for (int64_t j = 0; j < len; j++) o[j] = f(s[j]);
      } else if (step[0] == 1) {
        for (int64_t j = 0; j < len; j++) o[j] = f(s[j * step[1]]);
      } else {
        for (int64_t j = 0; j < len; j++) o[j * step[0]] = f(s[j * step[1]]);
      }
    });
  });
}

template <class F>
void run_binary(const float* a, const float* b, const StridedLoop<3>& loop, float* out, F f) {
  parallel(loop.size, kGrainCheap, [&](int64_t begin, int64_t end) {
    for_each_run(loop, begin, end, [&](int64_t, int64_t len, const int64_t* off, const int64_t* step) {
      float* o = out + off[0];
      const float* x = a + off[1];
      const float* y = b + off[2];
      if (step[1] == 1 && step[2] == 1) {
        for (int64_t j = 0; j < len; j++) o[j] = f(x[j], y[j]);
      } else if (step[1] == 1 && step[2] == 0) {
        const float v = y[0];
        for (int64_t j = 0; j < len; j++) o[j] = f(x[j], v);
      } else if (step[1] == 0 && step[2] == 1) {
        const float v = x[0];
        for (int64_t j = 0; j < len; j++) o[j] = f(v, y[j]);
      } else {
        for (int64_t j = 0; j < len; j++) o[j] = f(x[j * step[1]], y[j * step[2]]);
      }
    });
  });
}

}  // namespace

void unary(UnaryOp op, double alpha, Span x, const View& xv, Span out) {
  check_view(xv, x, "unary input");
  check_length(out, numel(xv), "unary output");
  const View ov = contiguous(xv.rank, xv.shape);
  const View* views[2] = {&ov, &xv};
  const StridedLoop<2> loop = make_loop(xv.shape, xv.rank, views);
  const float a = static_cast<float>(alpha);
  const float* s = x.data;
  float* o = out.data;
  switch (op) {
    case UnaryOp::Copy: return run_unary(s, loop, o, kGrainCheap, [](float v) { return v; });
    case UnaryOp::Neg: return run_unary(s, loop, o, kGrainCheap, [](float v) { return -v; });
    case UnaryOp::Exp: return run_unary(s, loop, o, kGrainHeavy, [](float v) { return std::exp(v); });
    case UnaryOp::Log: return run_unary(s, loop, o, kGrainHeavy, [](float v) { return std::log(v); });
    case UnaryOp::Sqrt: return run_unary(s, loop, o, kGrainCheap, [](float v) { return std::sqrt(v); });
    case UnaryOp::Abs: return run_unary(s, loop, o, kGrainCheap, [](float v) { return std::fabs(v); });
    case UnaryOp::Sign: return run_unary(s, loop, o, kGrainCheap, [](float v) { return v > 0 ? 1.0f : v < 0 ? -1.0f : v; });
    case UnaryOp::Relu: return run_unary(s, loop, o, kGrainCheap, [](float v) { return v <= 0 ? 0.0f : v; });  // NaN stays NaN
    case UnaryOp::Sigmoid: return run_unary(s, loop, o, kGrainHeavy, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    case UnaryOp::Tanh: return run_unary(s, loop, o, kGrainHeavy, [](float v) { return fast_tanh(v); });
    case UnaryOp::Softplus:  // max(x, 0) + log1p(exp(−|x|)): no overflow, NaN stays NaN
      return run_unary(s, loop, o, kGrainHeavy, [](float v) { return (v > 0 || v != v ? v : 0.0f) + std::log1p(std::exp(-std::fabs(v))); });
    case UnaryOp::AddS: return run_unary(s, loop, o, kGrainCheap, [a](float v) { return v + a; });
    case UnaryOp::MulS: return run_unary(s, loop, o, kGrainCheap, [a](float v) { return v * a; });
    case UnaryOp::RsubS: return run_unary(s, loop, o, kGrainCheap, [a](float v) { return a - v; });
    case UnaryOp::RdivS: return run_unary(s, loop, o, kGrainCheap, [a](float v) { return a / v; });
    case UnaryOp::PowS: return run_unary(s, loop, o, a == 2.0f || a == 1.0f ? kGrainCheap : kGrainHeavy, [a](float v) { return js_pow(v, a); });
    case UnaryOp::GtS:  // compared in double, as the reference does (alpha need not be a float)
      return run_unary(s, loop, o, kGrainCheap, [alpha](float v) { return static_cast<double>(v) > alpha ? 1.0f : 0.0f; });
    default: fail("unknown unary op " + std::to_string(static_cast<int>(op)));
  }
}

void binary(BinaryOp op, Span a, const View& av, Span b, const View& bv, Span out) {
  if (av.rank != bv.rank || !std::equal(av.shape, av.shape + av.rank, bv.shape)) fail("binary operands have different shapes");
  check_view(av, a, "binary input a");
  check_view(bv, b, "binary input b");
  check_length(out, numel(av), "binary output");
  const View ov = contiguous(av.rank, av.shape);
  const View* views[3] = {&ov, &av, &bv};
  const StridedLoop<3> loop = make_loop(av.shape, av.rank, views);
  const float *x = a.data, *y = b.data;
  float* o = out.data;
  switch (op) {
    case BinaryOp::Add: return run_binary(x, y, loop, o, [](float p, float q) { return p + q; });
    case BinaryOp::Sub: return run_binary(x, y, loop, o, [](float p, float q) { return p - q; });
    case BinaryOp::Mul: return run_binary(x, y, loop, o, [](float p, float q) { return p * q; });
    case BinaryOp::Div: return run_binary(x, y, loop, o, [](float p, float q) { return p / q; });
    case BinaryOp::Pow: return run_binary(x, y, loop, o, js_pow);
    case BinaryOp::Maximum:  // NaN in either operand gives NaN (the reference's rule)
      return run_binary(x, y, loop, o, [](float p, float q) { return p >= q || p != p ? p : q; });
    case BinaryOp::Gt: return run_binary(x, y, loop, o, [](float p, float q) { return p > q ? 1.0f : 0.0f; });
    case BinaryOp::Eq: return run_binary(x, y, loop, o, [](float p, float q) { return p == q ? 1.0f : 0.0f; });
    default: fail("unknown binary op " + std::to_string(static_cast<int>(op)));
  }
}

void fill(Span out, float value) {
  float* o = out.data;
  parallel(out.length, kGrainCheap * 4, [&](int64_t begin, int64_t end) { std::fill(o + begin, o + end, value); });
}

}  // namespace webgrad
