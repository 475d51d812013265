// fill.wgsl — y[i] = value for i < count; y is contiguous and has no input binding.
// Grid: 256 threads per workgroup, 4 elements per thread 256 apart (1024 per workgroup); 2-D grid
// (x ≤ 65535), flattened as y · num_workgroups.x + x.
struct Params {
  count: u32,
  value: f32,
  offset: u32, // of y in its buffer
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> y_buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let first = (wg.y * groups.x + wg.x) * 1024u + t;
  for (var j = 0u; j < 4u; j++) {
    let i = first + j * 256u;
    if (i >= params.count) { return; }
    y_buf[params.offset + i] = params.value;
  }
}
