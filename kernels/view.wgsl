// view.wgsl — shared by the elementwise and optimizer kernels (included, not compiled alone): their
// grid and where element i of a strided view sits.
// Grid: 256 threads per workgroup; a workgroup covers 1024 consecutive elements, each thread 4 of
// them 256 apart; the grid is 2-D (x ≤ 65535 workgroups), flattened as y · num_workgroups.x + x.
const WORKGROUP = 256u;
const PER_THREAD = 4u;

fn first_element(wg: vec3<u32>, groups: vec3<u32>, t: u32) -> u32 {
  return (wg.y * groups.x + wg.x) * WORKGROUP * PER_THREAD + t;
}

// Element i (row-major over `shape`, rank ≤ 8) of a view sits at offset + Σ index_d · strides[d].
fn strided_offset(i: u32, offset: u32, rank: u32, shape: array<vec4<u32>, 2>, strides: array<vec4<i32>, 2>) -> u32 {
  var rest = i;
  var at = i32(offset);
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let size = shape[d / 4][d % 4];
    at += i32(rest % size) * strides[d / 4][d % 4];
    rest /= size;
  }
  return u32(at);
}
