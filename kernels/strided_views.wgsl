// strided_views.wgsl — shared by the kernels over up to two strided views a, b of one shape
// (included, not compiled alone): their parameter block and where element i of each view sits.
// Element i (row-major over `shape`, rank ≤ 8 after coalescing) of view v is at
// offsets[v] + Σ index_d · strides_v[d]; offsets.z is free for a kernel's third binding, offsets.w
// is where the output starts in its buffer (kernels bind whole buffers: see allocator.ts).
// Override RANK (the views' rank) makes the index arithmetic a fixed, unrolled loop.
struct Params {
  count: u32,
  rank: u32,
  alpha: f32,
  b_row_quads: u32, // binary_vec4's repeated row of b (0: b is a run)
  offsets: vec4<u32>,
  shape: array<vec4<u32>, 2>,
  strides_a: array<vec4<i32>, 2>,
  strides_b: array<vec4<i32>, 2>,
}

override RANK: u32 = 8u;

@group(0) @binding(0) var<uniform> params: Params;

#include "view.wgsl"

fn offset_a(i: u32) -> u32 {
  if (A_CONTIGUOUS) { return params.offsets.x + i; }
  return strided_offset(i, params.offsets.x, RANK, params.shape, params.strides_a);
}

fn offset_b(i: u32) -> u32 {
  if (B_CONTIGUOUS) { return params.offsets.y + i; }
  return strided_offset(i, params.offsets.y, RANK, params.shape, params.strides_b);
}
