// matmul_io.wgsl — what both matmul kernels (matmul.wgsl: workgroup tiles; matmul_registers.wgsl:
// register tiles) share: the parameter block, the bindings, the operand-layout overrides and the
// epilogue that adds the bias and stores C, and split-K's ranges of k.
// A is a [batch, m, k] view and B a [batch, k, n] view with any strides (a transposed operand is
// swapped strides, a broadcast batch stride 0), bound as vec4 arrays so either kernel may read them
// by vec4 where the layout allows; C is [batch, m, n] contiguous.
// Overrides (vec4 loads need a unit stride on the named dim, the other strides and the offset
// multiples of 4, and that dim's size a multiple of 4; 0 reads scalars from any strides):
//   A_MODE  1: vec4 along k (row-major A)   2: vec4 along m (transposed A)
//   B_MODE  1: vec4 along n (row-major B)   2: vec4 along k (transposed B)
//   HAS_BIAS: add bias[bias_offset + j · bias_stride] to column j.
// Split-K (splits > 1): workgroup z = batch · splits + split sums k over [split · k_chunk, (split + 1)
// · k_chunk) only, and stores its partial C as matrix z of a [batch · splits, m, n] buffer
// (matmul_split_sum.wgsl adds the partials and the bias). k_chunk is a multiple of the kernel's step
// along k, so only the last split meets the end of k.

override A_MODE: u32;
override B_MODE: u32;
override HAS_BIAS: bool;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  a_offset: u32,
  b_offset: u32,
  bias_offset: u32,
  bias_stride: i32,
  c_offset: u32,
  a_strides: vec4<i32>, // batch, m, k
  b_strides: vec4<i32>, // batch, k, n
  splits: u32,
  k_chunk: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a_buf: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b_buf: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias_buf: array<f32>;
@group(0) @binding(4) var<storage, read_write> c_buf: array<f32>;

/** C[batch, row, col] = value (+ bias[col]); the caller checks row < m and col < n. */
fn store_c(batch: u32, row: u32, col: u32, value: f32) {
  var v = value;
  if (HAS_BIAS) { v += bias_buf[i32(params.bias_offset) + i32(col) * params.bias_stride]; }
  c_buf[params.c_offset + (batch * params.m + row) * params.n + col] = v;
}

/** The [begin, end) of k that split `split` sums. */
fn k_range(split: u32) -> vec2<u32> {
  let begin = min(split * params.k_chunk, params.k);
  return vec2(begin, min(begin + params.k_chunk, params.k));
}
