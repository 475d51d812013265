// strided.wgsl — shared by unary, binary and copy (included, not compiled alone): their entry
// point, which runs the kernel's `fn element(i: u32)` for every element i < count.
// Parameters of an elementwise kernel over up to two strided views of one shape (rank ≤ 8 after
// coalescing): element i (row-major over `shape`) of view v sits at offsets[v] + Σ index_d · strides_v[d].
// Grid: see view.wgsl.
struct Params {
  count: u32,
  rank: u32,
  alpha: f32,
  pad: u32,
  offsets: vec4<u32>,
  shape: array<vec4<u32>, 2>,
  strides_a: array<vec4<i32>, 2>,
  strides_b: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;

#include "view.wgsl"

fn offset_a(i: u32) -> u32 {
  if (A_CONTIGUOUS) { return params.offsets.x + i; }
  return strided_offset(i, params.offsets.x, params.rank, params.shape, params.strides_a);
}

fn offset_b(i: u32) -> u32 {
  if (B_CONTIGUOUS) { return params.offsets.y + i; }
  return strided_offset(i, params.offsets.y, params.rank, params.shape, params.strides_b);
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let first = first_element(wg, groups, t);
  for (var j = 0u; j < PER_THREAD; j++) {
    let i = first + j * WORKGROUP;
    if (i >= params.count) { return; }
    element(i);
  }
}
