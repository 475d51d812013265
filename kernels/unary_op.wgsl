// unary_op.wgsl — shared by unary and unary_vec4 (included, not compiled alone): f(x, alpha), the
// unary op's expression {{OP}}, and the helpers those expressions call.
// WGSL constant expressions reject inf and NaN, so they are made from runtime bit patterns.
fn from_bits(bits: u32) -> f32 {
  var pattern = bits;
  return bitcast<f32>(pattern);
}

// JavaScript's x ** a: WGSL pow is undefined for x < 0 (and for 0 ** 0).
fn pow_js(x: f32, a: f32) -> f32 {
  if (a == 0.0) { return 1.0; }
  if (x == 0.0) { return select(from_bits(0x7f800000u), 0.0, a > 0.0); }
  let magnitude = pow(abs(x), a);
  if (!(x < 0.0)) { return magnitude; }
  if (floor(a) != a) { return from_bits(0x7fc00000u); }
  let odd = a - 2.0 * floor(a * 0.5) == 1.0;
  return select(magnitude, -magnitude, odd);
}

// tanh(x) for |x| ≥ 10 is ±1 in f32; clamping keeps the exp-based builtin away from inf / inf.
fn tanh_safe(x: f32) -> f32 {
  return tanh(clamp(x, -10.0, 10.0));
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
