// reduce.wgsl — y[o, i] = scale · sum, or max, over r of x[offset + (o · size + r) · inner + i]: a
// contiguous tensor seen as [outer, size, inner], reduced along the middle axis (scale = 1/size: a
// mean in one launch); y is [outer, inner] contiguous.
// Tiling (axis.wgsl): THREADS_PER_OUTPUT threads per output, 256 / THREADS_PER_OUTPUT outputs per
// workgroup; each thread folds every THREADS_PER_OUTPUT-th element (a sum cascaded, cascade.wgsl),
// then the partials tree-reduce in workgroup memory. Overrides: THREADS_PER_OUTPUT; IS_MAX (max,
// NaN-propagating like the CPU `maximum`, else sum).
override IS_MAX: bool;

#include "axis.wgsl"

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = row_of(wg, groups, t);
  let count = select(0u, params.size, row.in_range);
  var top = negative_infinity();
  var sum: Cascade;
  for (var r = row.lane; r < count; r += THREADS_PER_OUTPUT) {
    let v = x_buf[params.offset + row.first + r * params.inner];
    if (IS_MAX) { top = maximum_js(top, v); } else { cascade_add(&sum, v); }
  }
  let total = row_total(row, select(cascade_total(sum), top, IS_MAX), IS_MAX);
  if (row.lane == 0u && row.in_range) {
    y_buf[params.out_offset + row.index] = select(params.scale * total, total, IS_MAX);
  }
}
