// Reductions and softmax along the middle axis of a contiguous tensor seen as [outer, size, inner].
#pragma once
#include "view.h"

namespace webgrad {

enum class ReduceOp { Sum, Max, Count };
inline constexpr const char* kReduceOpNames[] = {"sum", "max"};

struct AxisView {
  int64_t offset, outer, size, inner;
};

/** out[o, i] = op over r of x[offset + (o·size + r)·inner + i]; out is [outer, inner]. */
void reduce(ReduceOp op, Span x, const AxisView& v, Span out);
/** out (contiguous [outer, size, inner]) = softmax or log-softmax of x along the middle axis. */
void softmax(Span x, const AxisView& v, bool log, Span out);
/**
 * The gradient of (log-)softmax along the middle axis of [outer, size, inner], from its output y (v,
 * from v.offset) and the incoming gradient g (the same layout from g_offset), both contiguous:
 * log: g − exp(y)·Σg, else y·(g − Σ g·y). out is contiguous [outer, size, inner].
 */
void softmax_backward(Span y, Span g, int64_t g_offset, const AxisView& v, bool log, Span out);

}  // namespace webgrad
