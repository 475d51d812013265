// max_pool_indices.wgsl — for each max-pooling window of x [n, c, h, w] (contiguous, at a_offset),
// the flat index r·w + q in its plane of the maximum, as an f32 integer: PyTorch's rule (the first
// maximum; a NaN wins, the last one). Output [n, c, out_h, out_w] at c_offset, contiguous.
// One thread per output, 256 per workgroup; 2-D grid (x ≤ 65535) flattened as y · num_workgroups.x + x.
#include "window.wgsl"
#include "nan.wgsl"

@group(0) @binding(1) var<storage, read> x_buf: array<f32>;
@group(0) @binding(2) var<storage, read_write> out_buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = params;
  let i = gid.y * groups.x * 256u + gid.x;
  let positions = p.out_h * p.out_w;
  if (i >= p.batch * p.channels * positions) { return; }
  let plane = p.a_offset + (i / positions) * p.height * p.width;
  let o = vec2(i32((i % positions) / p.out_w), i32(i % p.out_w));
  var best = -1;
  var max = 0.0;
  for (var ki = 0; ki < i32(p.kh); ki++) {
    let r = o.x * p.stride.x - p.padding.x + ki * p.dilation.x;
    if (r < 0 || r >= i32(p.height)) { continue; }
    for (var kj = 0; kj < i32(p.kw); kj++) {
      let q = o.y * p.stride.y - p.padding.y + kj * p.dilation.y;
      if (q < 0 || q >= i32(p.width)) { continue; }
      let v = x_buf[plane + u32(r * i32(p.width) + q)];
      if (best < 0 || v > max || is_nan(v)) {
        best = r * i32(p.width) + q;
        max = v;
      }
    }
  }
  out_buf[p.c_offset + i] = f32(best);
}
