// Single-precision batched matrix product for the native CPU backend.
#pragma once
#include <cstdint>

#include "thread_pool.h"

namespace webgrad {

/** A strided [batch, rows, cols] view: element (p, i, j) is data[p·batch + i·row + j·col]. */
struct MatrixView {
  const float* data;
  int64_t batch_stride, row_stride, col_stride;
};

/**
 * C[p] = A[p] · B[p] (+ bias[j · bias_stride] on every row when bias is not null), for p < batch;
 * A is an [batch, m, k] view, B a [batch, k, n] view (any strides: a transposed operand is swapped
 * strides, a broadcast batch has stride 0), C is written contiguous [batch, m, n]. k = 0 gives the
 * bias (or zeros).
 */
void sgemm(int64_t batch, int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, const float* bias, int64_t bias_stride, float* c,
           ThreadPool& pool);

}  // namespace webgrad
