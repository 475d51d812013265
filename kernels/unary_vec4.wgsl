// unary_vec4.wgsl — y[i] = f(x[i], alpha) by vec4, for x a contiguous run from a multiple of 4; y is
// contiguous. Layout and grid: quads.wgsl. Specialisation: {{OP}} as in unary.wgsl.
#include "quads.wgsl"
#include "unary_op.wgsl"

@group(0) @binding(1) var<storage, read> x_buf: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y_buf: array<vec4<f32>>;

fn quad(q: u32) {
  let x = x_buf[params.offsets.x / 4u + q];
  let alpha = params.alpha;
  y_buf[params.offsets.w / 4u + q] = vec4(f(x.x, alpha), f(x.y, alpha), f(x.z, alpha), f(x.w, alpha));
}
