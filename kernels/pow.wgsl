// pow.wgsl — shared by unary_op and binary_op (included after nan.wgsl, not compiled alone):
// JavaScript's x ** a in f32, for powS and pow.

// x ** n for an integer |n| ≤ 64, by repeated squaring: exact wherever the result is representable
// (5³, 3¹⁰), with the sign of a negative base coming out of the products, as PyTorch multiplies.
fn pow_int(x: f32, n: f32) -> f32 {
  var e = u32(abs(n));
  var base = x;
  var result = 1.0;
  loop {
    if ((e & 1u) != 0u) { result *= base; }
    e >>= 1u;
    if (e == 0u) { break; }
    base *= base;
  }
  return select(result, 1.0 / result, n < 0.0);
}

// WGSL pow is exp2(a · log2 x): inexact, and undefined for x < 0 (and for 0 ** 0).
fn pow_js(x: f32, a: f32) -> f32 {
  if (a == 0.0) { return 1.0; }
  if (is_nan(a)) { return a; }
  if (floor(a) == a && abs(a) <= 64.0) { return pow_int(x, a); }
  if (x == 0.0) { return select(1.0 / abs(x), 0.0, a > 0.0); } // +inf for a < 0
  let magnitude = pow(abs(x), a);
  if (!(x < 0.0)) { return magnitude; }
  if (floor(a) != a) { return select(quiet_nan(), magnitude, bitcast<u32>(x) == 0xff800000u); } // (−∞) ** a: ∞ or 0
  let odd = a - 2.0 * floor(a * 0.5) == 1.0;
  return select(magnitude, -magnitude, odd);
}
