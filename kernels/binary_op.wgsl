// binary_op.wgsl — shared by binary and binary_vec4 (included, not compiled alone): f(a, b), the
// binary op's expression {{OP}}, and the helpers those expressions call.
#include "nan.wgsl"
#include "pow.wgsl"

fn f(a: f32, b: f32) -> f32 {
  return {{OP}};
}
