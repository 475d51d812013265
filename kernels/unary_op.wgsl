// unary_op.wgsl — shared by unary and unary_vec4 (included, not compiled alone): f(x, alpha), the
// unary op's expression {{OP}}, and the helpers those expressions call.
#include "nan.wgsl"
#include "pow.wgsl"

// tanh(x) for |x| ≥ 10 is ±1 in f32; clamping keeps the exp-based builtin away from inf / inf
// (clamp would turn NaN into a bound).
fn tanh_safe(x: f32) -> f32 {
  return select(tanh(clamp(x, -10.0, 10.0)), x, is_nan(x));
}

// max(x, 0) + log1p(exp(−|x|)), with log1p by Goldberg's trick (WGSL has none): exact for tiny t.
fn softplus(x: f32) -> f32 {
  let t = exp(-abs(x));
  let u = 1.0 + t;
  let log1p_t = select(log(u) * t / (u - 1.0), t, u == 1.0);
  return max(x, 0.0) + log1p_t;
}

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

fn f(x: f32, alpha: f32) -> f32 {
  return {{OP}};
}
