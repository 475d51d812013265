// nan.wgsl — shared by the elementwise kernels, axis and gather (included, not compiled alone): a
// NaN value, a NaN test and the CPU's NaN-propagating maximum and minimum.

// WGSL constant expressions reject NaN, so it is made from a runtime bit pattern.
fn quiet_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// By bits: lavapipe's compiler folds `a != a` to false.
fn is_nan(a: f32) -> bool {
  return (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u;
}

// CPU semantics of maximum and minimum (and of Math.max/min): a NaN in either operand wins.
fn maximum_js(a: f32, b: f32) -> f32 {
  return select(b, a, a >= b || is_nan(a));
}

fn minimum_js(a: f32, b: f32) -> f32 {
  return select(b, a, a <= b || is_nan(a));
}
