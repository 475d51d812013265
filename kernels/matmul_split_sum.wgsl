// matmul_split_sum.wgsl — split-K's epilogue: C[b, i, j] = Σ_s P[b · splits + s, i, j] (+ bias[j]),
// P the [batch · splits, m, n] partial products of matmul.wgsl or matmul_registers.wgsl (splits > 1).
// One thread per element of C, reading the splits' partials in order; C contiguous.
// Grid: ⌈batch · m · n / 256⌉ workgroups, spread over x and y (grid2d).
override HAS_BIAS: bool;

struct Params {
  size: u32,      // m · n
  n: u32,
  splits: u32,
  count: u32,     // batch · m · n
  p_offset: u32,
  bias_offset: u32,
  bias_stride: i32,
  c_offset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> p_buf: array<f32>;
@group(0) @binding(2) var<storage, read> bias_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> c_buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = id.x + id.y * groups.x * 256u;
  if (e >= params.count) { return; }
  let batch = e / params.size;
  let at = params.p_offset + batch * params.splits * params.size + e % params.size;
  var v = 0.0;
  for (var s = 0u; s < params.splits; s++) { v += p_buf[at + s * params.size]; }
  if (HAS_BIAS) { v += bias_buf[i32(params.bias_offset) + i32(e % params.n) * params.bias_stride]; }
  c_buf[params.c_offset + e] = v;
}
