// unary.wgsl — y[i] = f(x[i], alpha) for every element of a strided view x; y is contiguous.
// Layout and grid: see strided.wgsl (view a = x). Specialisation: {{OP}} is f as a WGSL expression
// in `x` and `alpha`; override A_CONTIGUOUS skips the index arithmetic when x is a contiguous run.
override A_CONTIGUOUS: bool;
const B_CONTIGUOUS = true;

#include "strided.wgsl"
#include "unary_op.wgsl"

@group(0) @binding(1) var<storage, read> x_buf: array<f32>;
@group(0) @binding(2) var<storage, read_write> y_buf: array<f32>;

fn element(i: u32) {
  y_buf[params.offsets.w + i] = f(x_buf[offset_a(i)], params.alpha);
}
