// Unary and binary ops over coalesced strided views (view.h): each innermost run takes a contiguous
// fast path the compiler vectorises (simd.h; stride 1, or stride 0 for a broadcast operand) or a strided one.
// Single-threaded below the grain, split over the pool above it.
#include "elementwise.h"

#include <cmath>

#include "simd.h"

namespace webgrad {
namespace {

template <class F>
void run_unary(const float* x, const StridedLoop<2>& loop, float* out, int64_t grain, F f) {
  parallel(loop.size, grain, [&](int64_t begin, int64_t end) {
    for_each_run(loop, begin, end, [&](int64_t, int64_t len, const int64_t* off, const int64_t* step) {
      float* o = out + off[0];
      const float* s = x + off[1];
      if (step[0] == 1 && step[1] == 1) {
        simd_for(len, [&](int64_t j) { o[j] = f(s[j]); });
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
        simd_for(len, [&](int64_t j) { o[j] = f(x[j], y[j]); });
      } else if (step[1] == 1 && step[2] == 0) {
        const float v = y[0];
        simd_for(len, [&](int64_t j) { o[j] = f(x[j], v); });
      } else if (step[1] == 0 && step[2] == 1) {
        const float v = x[0];
        simd_for(len, [&](int64_t j) { o[j] = f(v, y[j]); });
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
#define WEBGRAD_UNARY_CASE(name, grain, ...) \
  case UnaryOp::name: return run_unary(s, loop, o, kGrain##grain, [&](float v) { return static_cast<float>(__VA_ARGS__); });
    WEBGRAD_UNARY_OPS(WEBGRAD_UNARY_CASE)
#undef WEBGRAD_UNARY_CASE
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
#define WEBGRAD_BINARY_CASE(name, ...) \
  case BinaryOp::name: return run_binary(x, y, loop, o, [](float p, float q) { return static_cast<float>(__VA_ARGS__); });
    WEBGRAD_BINARY_OPS(WEBGRAD_BINARY_CASE)
#undef WEBGRAD_BINARY_CASE
    default: fail("unknown binary op " + std::to_string(static_cast<int>(op)));
  }
}

void fill(Span out, float value) {
  float* o = out.data;
  parallel(out.length, kGrainCheap * 4, [&](int64_t begin, int64_t end) { std::fill(o + begin, o + end, value); });
}

}  // namespace webgrad
