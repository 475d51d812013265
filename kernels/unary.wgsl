// unary.wgsl — y[i] = f(x[i], alpha) for every element of a strided view x; y is contiguous.
// Layout and grid: see strided.wgsl (view a = x). Specialisation: {{OP}} is f as a WGSL expression
// in `x` and `alpha`; override A_CONTIGUOUS skips the index arithmetic when x is a contiguous run.
override A_CONTIGUOUS: bool;
const B_CONTIGUOUS = true;

#include "strided.wgsl"

@group(0) @binding(1) var<storage, read> x_buf: array<f32>;
@group(0) @binding(2) var<storage, read_write> y_buf: array<f32>;

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

fn element(i: u32) {
  y_buf[i] = f(x_buf[offset_a(i)], params.alpha);
}
