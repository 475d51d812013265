// Data movement: strided copy, gather and scatterAdd (indices are float values, as stored).
#pragma once
#include "view.h"

namespace webgrad {

/** dst[dv] = src[sv]; the views have one shape, dst may be strided. */
void copy(Span src, const View& sv, Span dst, const View& dv);
/**
 * out (contiguous, the index's shape) [i…] = x[i with i[dim] = index[i…]]; NaN where the index is not
 * an integer in [0, x.shape[dim]).
 */
void gather(Span x, const View& xv, int dim, Span index, const View& iv, Span out);
/**
 * out (contiguous `shape`, zeroed here) [i with i[dim] = index[i…]] += src[i…] over the index's shape;
 * indices that are not an integer in [0, shape[dim]) are dropped. Each output element sums its
 * contributions in index order whatever the thread count.
 */
void scatter_add(const View& shape, int dim, Span index, const View& iv, Span src, const View& sv, Span out);

}  // namespace webgrad
