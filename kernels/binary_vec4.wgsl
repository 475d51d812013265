// binary_vec4.wgsl — y[i] = f(a[i], b[i]) by vec4, for a and b contiguous runs from multiples of 4,
// or b one row of `b_row_quads` quads repeated along a (a bias add: b's quad is q mod b_row_quads);
// y is contiguous. Layout and grid: quads.wgsl. Specialisation: {{OP}} as in binary.wgsl.
#include "quads.wgsl"
#include "binary_op.wgsl"

@group(0) @binding(1) var<storage, read> a_buf: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b_buf: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y_buf: array<vec4<f32>>;

fn quad(q: u32) {
  let a = a_buf[params.offsets.x / 4u + q];
  let b = b_buf[params.offsets.y / 4u + select(q, q % params.b_row_quads, params.b_row_quads != 0u)];
  y_buf[params.offsets.w / 4u + q] = vec4(f(a.x, b.x), f(a.y, b.y), f(a.z, b.z), f(a.w, b.w));
}
