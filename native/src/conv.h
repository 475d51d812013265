// 2-D convolution (NCHW input, OIHW weight, groups 1) and max-pooling's argmax for the native backend.
#pragma once
#include <cstdint>

#include "thread_pool.h"

namespace webgrad {

/** Input [n, c, h, w], weight [o, c, kh, kw], output [n, o, oh, ow]; padding is the zeros before each axis. */
struct ConvGeometry {
  int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

/** y = conv(x, weight); every array contiguous. */
void conv2d(const ConvGeometry& g, const float* x, const float* weight, float* y, ThreadPool& pool);
/** gx = ∂⟨gy, conv(x, weight)⟩/∂x (the transposed convolution of gy). */
void conv2d_input_grad(const ConvGeometry& g, const float* gy, const float* weight, float* gx, ThreadPool& pool);
/** gw = ∂⟨gy, conv(x, weight)⟩/∂weight. */
void conv2d_weight_grad(const ConvGeometry& g, const float* x, const float* gy, float* gw, ThreadPool& pool);

/**
 * For each window of max-pooling x [n, c, h, w] (geometry as a convolution with o = c), the flat
 * index r·w + q in its plane of the maximum, as a float: PyTorch's rule (the first maximum; a NaN wins,
 * the last one). `indices` is [n, c, oh, ow].
 */
void max_pool2d_indices(const ConvGeometry& g, const float* x, float* indices, ThreadPool& pool);

}  // namespace webgrad
