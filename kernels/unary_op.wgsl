// unary_op.wgsl — shared by unary and unary_vec4 (included, not compiled alone): f(x, alpha), the
// unary op's expression {{OP}}, and the helpers those expressions call.
#include "nan.wgsl"
#include "pow.wgsl"

// tanh(x) for |x| ≥ 10 is ±1 in f32; clamping keeps the exp-based builtin away from inf / inf
// (clamp would turn NaN into a bound).
fn tanh_safe(x: f32) -> f32 {
  return select(tanh(clamp(x, -10.0, 10.0)), x, is_nan(x));
}

// log(1 + x) to f32 precision near 0 (WGSL has no log1p): 2·atanh(s), s = x/(2 + x), by its
// series for |x| ≤ 0.25 (|s| ≤ 1/7, seven terms); log(1 + x) beyond, where it loses nothing.
fn log1p_js(x: f32) -> f32 {
  if (abs(x) > 0.25) { return log(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 / 13.0))))));
}

// exp(x) − 1 to f32 precision near 0: its Taylor series (Horner, to x⁹/9!) for |x| ≤ 0.25.
fn expm1_js(x: f32) -> f32 {
  if (abs(x) > 0.25) { return exp(x) - 1.0; }
  return x * (1.0 + x / 2.0 * (1.0 + x / 3.0 * (1.0 + x / 4.0 * (1.0 + x / 5.0 * (1.0 + x / 6.0 * (1.0 + x / 7.0 * (1.0 + x / 8.0 * (1.0 + x / 9.0))))))));
}

// erfc by the Chebyshev fit of Numerical Recipes (erfcc): relative error below 1.2e-7 for every x,
// so GELU's Φ(x) = ½·erfc(−x/√2) keeps its precision in the tails. NaN stays NaN.
fn erfc_js(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
    + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let r = t * exp(p - z * z);
  return select(r, 2.0 - r, x < 0.0);
}

fn f(x: f32, alpha: f32) -> f32 {
  return {{OP}};
}
