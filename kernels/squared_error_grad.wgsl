// squared_error_grad.wgsl — y[i] = alpha · (a[i] − b[i]) · g[offsets.z] for two strided views of
// one shape and the one-value upstream gradient g: mseLoss's gradient for its input (alpha = 2/count
// for 'mean', 2 for 'sum'); y is contiguous. Layout and grid: see strided.wgsl. Overrides
// A_CONTIGUOUS / B_CONTIGUOUS skip the index arithmetic.
override A_CONTIGUOUS: bool;
override B_CONTIGUOUS: bool;

#include "strided.wgsl"

@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read> g_buf: array<f32>;
@group(0) @binding(4) var<storage, read_write> y_buf: array<f32>;

fn element(i: u32) {
  y_buf[params.offsets.w + i] = params.alpha * (a_buf[offset_a(i)] - b_buf[offset_b(i)]) * g_buf[params.offsets.z];
}
