// gather.wgsl — torch.gather: y[i] = x[i with i[dim] replaced by index[i]] for every i of index's
// shape (rank ≤ 8); index holds integers as f32. x and index are strided views; y is contiguous with
// index's shape. An index that is not an integer in [0, dim_size) gives NaN (as the reference backend;
// a kernel cannot throw, and reading another element would be a silent wrong answer).
// One thread per output element, 256 per workgroup; 2-D grid (x ≤ 65535) flattened as
// y · num_workgroups.x + x.
struct Params {
  count: u32,
  rank: u32,
  dim: u32,
  x_offset: u32,
  index_offset: u32,
  dim_size: u32,
  out_offset: u32,
  pad2: u32,
  shape: array<vec4<u32>, 2>,
  x_strides: array<vec4<i32>, 2>,
  index_strides: array<vec4<i32>, 2>,
}

#include "nan.wgsl"

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x_buf: array<f32>;
@group(0) @binding(2) var<storage, read> index_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> y_buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.y * groups.x * 256u + gid.x;
  if (i >= params.count) { return; }
  var rest = i;
  var x_at = i32(params.x_offset);
  var index_at = i32(params.index_offset);
  var dim_stride = 0;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let size = params.shape[d / 4][d % 4];
    let position = i32(rest % size);
    rest /= size;
    index_at += position * params.index_strides[d / 4][d % 4];
    if (u32(d) == params.dim) {
      dim_stride = params.x_strides[d / 4][d % 4];
    } else {
      x_at += position * params.x_strides[d / 4][d % 4];
    }
  }
  let index = index_buf[index_at];
  let k = i32(index);
  if (f32(k) != index || k < 0 || k >= i32(params.dim_size)) {
    y_buf[params.out_offset + i] = quiet_nan();
    return;
  }
  y_buf[params.out_offset + i] = x_buf[x_at + k * dim_stride];
}
