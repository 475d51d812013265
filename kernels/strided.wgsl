// strided.wgsl — shared by unary, binary and copy (included, not compiled alone).
// Parameters of an elementwise kernel over up to two strided views of one shape (rank ≤ 8 after
// coalescing): element i (row-major over `shape`) of view v sits at offsets[v] + Σ index_d · strides_v[d].
// Grid: 256 threads per workgroup; a workgroup covers 1024 consecutive elements, each thread 4 of
// them 256 apart; the grid is 2-D (x ≤ 65535 workgroups), flattened as y · num_workgroups.x + x.
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

const WORKGROUP = 256u;
const PER_THREAD = 4u;

fn view_offset(i: u32, offset: u32, strides: array<vec4<i32>, 2>) -> u32 {
  var rest = i;
  var at = i32(offset);
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let size = params.shape[d / 4][d % 4];
    at += i32(rest % size) * strides[d / 4][d % 4];
    rest /= size;
  }
  return u32(at);
}

fn offset_a(i: u32) -> u32 {
  if (A_CONTIGUOUS) { return params.offsets.x + i; }
  return view_offset(i, params.offsets.x, params.strides_a);
}

fn offset_b(i: u32) -> u32 {
  if (B_CONTIGUOUS) { return params.offsets.y + i; }
  return view_offset(i, params.offsets.y, params.strides_b);
}

fn first_element(wg: vec3<u32>, groups: vec3<u32>, t: u32) -> u32 {
  return (wg.y * groups.x + wg.x) * WORKGROUP * PER_THREAD + t;
}
