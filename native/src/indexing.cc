// copy, gather and scatterAdd over strided views. scatterAdd is deterministic: the index's dim
// `dim` is iterated innermost and threads split only the other dims, so every output element is
// written by one thread, in index order.
#include "indexing.h"

#include <cmath>
#include <limits>

namespace webgrad {
namespace {

// The integer an index value names, or -1 when it is not an integer in [0, bound).
inline int64_t index_value(float k, int64_t bound) {
  if (!(k >= 0.0f) || !(static_cast<double>(k) < static_cast<double>(bound)) || k != std::floor(k)) return -1;
  return static_cast<int64_t>(k);
}

void check_dim(int dim, int rank, const char* op) {
  if (dim < 0 || dim >= std::max(rank, 1)) fail(std::string(op) + ": dim " + std::to_string(dim) + " out of range for rank " + std::to_string(rank));
}

}  // namespace

void copy(Span src, const View& sv, Span dst, const View& dv) {
  if (sv.rank != dv.rank || !std::equal(sv.shape, sv.shape + sv.rank, dv.shape)) fail("copy views have different shapes");
  check_view(sv, src, "copy source");
  check_view(dv, dst, "copy destination");
  const View* views[2] = {&dv, &sv};
  const StridedLoop<2> loop = make_loop(sv.shape, sv.rank, views);
  const float* s = src.data;
  float* d = dst.data;
  parallel(loop.size, kGrainCheap, [&](int64_t begin, int64_t end) {
    for_each_run(loop, begin, end, [&](int64_t, int64_t len, const int64_t* off, const int64_t* step) {
      if (step[0] == 1 && step[1] == 1) std::copy(s + off[1], s + off[1] + len, d + off[0]);
      else for (int64_t j = 0; j < len; j++) d[off[0] + j * step[0]] = s[off[1] + j * step[1]];
    });
  });
}

void gather(Span x, const View& xv, int dim, Span index, const View& iv, Span out) {
  check_dim(dim, iv.rank, "gather");
  if (xv.rank != iv.rank) fail("gather: input and index ranks differ");
  check_view(iv, index, "gather index");
  check_length(out, numel(iv), "gather output");
  // x read at the index's positions along every dim but `dim`, which the index values choose.
  View reach = xv;
  for (int d = 0; d < iv.rank; d++)
    if (d != dim) reach.shape[d] = iv.shape[d];
  if (numel(iv) > 0 && xv.rank > 0) check_view(reach, x, "gather input");
  View rest = xv;  // x without its `dim` stride: the index value supplies that term
  if (xv.rank > 0) rest.strides[dim] = 0;
  const View ov = contiguous(iv.rank, iv.shape);
  const View* views[3] = {&ov, &iv, &rest};
  const StridedLoop<3> loop = make_loop(iv.shape, iv.rank, views);
  const int64_t bound = xv.rank > 0 ? xv.shape[dim] : 1, stride = xv.rank > 0 ? xv.strides[dim] : 0;
  const float *xs = x.data, *is = index.data;
  float* o = out.data;
  parallel(loop.size, kGrainCheap, [&](int64_t begin, int64_t end) {
    for_each_run(loop, begin, end, [&](int64_t, int64_t len, const int64_t* off, const int64_t* step) {
      for (int64_t j = 0; j < len; j++) {
        const int64_t k = index_value(is[off[1] + j * step[1]], bound);
        o[off[0] + j * step[0]] = k < 0 ? std::numeric_limits<float>::quiet_NaN() : xs[off[2] + j * step[2] + k * stride];
      }
    });
  });
}

void scatter_add(const View& shape, int dim, Span index, const View& iv, Span src, const View& sv, Span out) {
  check_dim(dim, iv.rank, "scatterAdd");
  if (shape.rank != iv.rank || sv.rank != iv.rank) fail("scatterAdd: output, index and source ranks differ");
  for (int d = 0; d < iv.rank; d++) {
    if (d != dim && iv.shape[d] > shape.shape[d]) fail("scatterAdd: index is larger than the output along dim " + std::to_string(d));
  }
  check_view(iv, index, "scatterAdd index");
  View reach = sv;  // src is read at the index's positions
  std::copy(iv.shape, iv.shape + iv.rank, reach.shape);
  check_view(reach, src, "scatterAdd source");
  check_length(out, numel(shape), "scatterAdd output");
  float* o = out.data;
  std::fill(o, o + numel(shape), 0.0f);
  if (numel(iv) == 0) return;
  if (iv.rank == 0) {  // a scalar index into a scalar
    if (index_value(index.data[iv.offset], 1) == 0) o[0] += src.data[sv.offset];
    return;
  }
  // Iterate with `dim` innermost; the output's `dim` term comes from the index values.
  View ov = contiguous(shape.rank, shape.shape);
  const int64_t bound = shape.shape[dim], stride = ov.strides[dim];
  ov.strides[dim] = 0;
  View ip, sp, op;
  ip.offset = iv.offset, sp.offset = sv.offset, op.offset = 0;
  int64_t loop_shape[kMaxRank];
  for (int d = 0, r = 0; d < iv.rank; d++) {
    const int from = d == iv.rank - 1 ? dim : (d < dim ? d : d + 1);
    loop_shape[r] = iv.shape[from];
    ip.strides[r] = iv.strides[from], sp.strides[r] = sv.strides[from], op.strides[r] = ov.strides[from];
    r++;
  }
  const View* views[3] = {&op, &ip, &sp};
  const StridedLoop<3> loop = make_loop(loop_shape, iv.rank, views, /*merge=*/false);
  const int64_t line = iv.shape[dim];  // one thread owns each whole line along `dim`
  const float *is = index.data, *ss = src.data;
  parallel(loop.size / line, std::max<int64_t>(1, kGrainCheap / line), [&](int64_t begin, int64_t end) {
    for_each_run(loop, begin * line, end * line, [&](int64_t, int64_t len, const int64_t* off, const int64_t* step) {
      for (int64_t j = 0; j < len; j++) {
        const int64_t k = index_value(is[off[1] + j * step[1]], bound);
        if (k >= 0) o[off[0] + j * step[0] + k * stride] += ss[off[2] + j * step[2]];
      }
    });
  });
}

}  // namespace webgrad
