// scatter_add.wgsl — y = zeros(shape); y[i with i[dim] = index[i]] += src[i] for every i of index's
// shape (rank ≤ 8); index holds integers as f32; index and src are strided views of one shape, y is
// contiguous. Deterministic without float atomics: one thread per output element j walks the index
// positions that could target it (those equal to j off `dim`, every position along `dim`) in order
// and sums the sources whose index equals j[dim] — the CPU reference's summation order.
// 256 threads per workgroup; 2-D grid (x ≤ 65535) flattened as y · num_workgroups.x + x.
struct Params {
  count: u32,
  rank: u32,
  dim: u32,
  index_offset: u32,
  src_offset: u32,
  out_offset: u32,
  pad1: u32,
  pad2: u32,
  shape: array<vec4<u32>, 2>,
  index_shape: array<vec4<u32>, 2>,
  index_strides: array<vec4<i32>, 2>,
  src_strides: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> index_buf: array<f32>;
@group(0) @binding(2) var<storage, read> src_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> y_buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = gid.y * groups.x * 256u + gid.x;
  if (j >= params.count) { return; }
  var rest = j;
  var index_at = i32(params.index_offset);
  var src_at = i32(params.src_offset);
  var target_along_dim = 0.0;
  var reachable = true;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let size = params.shape[d / 4][d % 4];
    let position = rest % size;
    rest /= size;
    if (u32(d) == params.dim) {
      target_along_dim = f32(position);
    } else {
      reachable = reachable && position < params.index_shape[d / 4][d % 4];
      index_at += i32(position) * params.index_strides[d / 4][d % 4];
      src_at += i32(position) * params.src_strides[d / 4][d % 4];
    }
  }
  var acc = 0.0;
  if (reachable) {
    let along = params.dim;
    let count = params.index_shape[along / 4u][along % 4u];
    let index_step = params.index_strides[along / 4u][along % 4u];
    let src_step = params.src_strides[along / 4u][along % 4u];
    for (var q = 0u; q < count; q++) {
      if (index_buf[index_at + i32(q) * index_step] == target_along_dim) {
        acc += src_buf[src_at + i32(q) * src_step];
      }
    }
  }
  y_buf[params.out_offset + j] = acc;
}
