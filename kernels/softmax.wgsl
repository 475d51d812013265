// softmax.wgsl — y = softmax (or log-softmax) of a contiguous tensor seen as [outer, size, inner],
// along the middle axis, read from element `offset`; y is [outer, size, inner] contiguous.
// Numerically stable: m = max_r x (NaN-propagating, as the CPU's Math.max), s = Σ_r exp(x − m),
// y = exp(x − m) / s or (x − m) − log s.
// Tiling (axis.wgsl): THREADS_PER_OUTPUT threads per (o, i) row, 256 / THREADS_PER_OUTPUT rows per
// workgroup; each thread folds every THREADS_PER_OUTPUT-th element (s cascaded, cascade.wgsl),
// then the partials tree-reduce in workgroup memory, once for m and once for s. Overrides:
// THREADS_PER_OUTPUT, LOG (log-softmax).
override LOG: bool;

#include "axis.wgsl"

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = row_of(wg, groups, t);
  let count = select(0u, params.size, row.in_range);
  let x = params.offset + row.first;

  var m = negative_infinity();
  for (var r = row.lane; r < count; r += THREADS_PER_OUTPUT) {
    m = maximum_js(m, x_buf[x + r * params.inner]);
  }
  m = row_total(row, m, true);

  var sum: Cascade;
  for (var r = row.lane; r < count; r += THREADS_PER_OUTPUT) {
    cascade_add(&sum, exp(x_buf[x + r * params.inner] - m));
  }
  let s = row_total(row, cascade_total(sum), false);

  let log_s = log(s);
  for (var r = row.lane; r < count; r += THREADS_PER_OUTPUT) {
    let shifted = x_buf[x + r * params.inner] - m;
    y_buf[params.out_offset + row.first + r * params.inner] = select(exp(shifted) / s, shifted - log_s, LOG);
  }
}
