// binary.wgsl — y[i] = f(a[i], b[i]) for two strided views of one shape (broadcasts arrive as
// stride 0); y is contiguous. Layout and grid: see strided.wgsl. Specialisation: {{OP}} is f as a
// WGSL expression in `a` and `b`; overrides A_CONTIGUOUS / B_CONTIGUOUS skip the index arithmetic.
override A_CONTIGUOUS: bool;
override B_CONTIGUOUS: bool;

#include "strided.wgsl"
#include "binary_op.wgsl"

@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> y_buf: array<f32>;

fn element(i: u32) {
  y_buf[params.offsets.w + i] = f(a_buf[offset_a(i)], b_buf[offset_b(i)]);
}
