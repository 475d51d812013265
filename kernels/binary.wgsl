// binary.wgsl — y[i] = f(a[i], b[i]) for two strided views of one shape (broadcasts arrive as
// stride 0); y is contiguous. Layout and grid: see strided.wgsl. Specialisation: {{OP}} is f as a
// WGSL expression in `a` and `b`; overrides A_CONTIGUOUS / B_CONTIGUOUS skip the index arithmetic.
override A_CONTIGUOUS: bool;
override B_CONTIGUOUS: bool;

#include "strided.wgsl"

@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> y_buf: array<f32>;

// CPU semantics of maximum: a NaN in either operand wins.
fn maximum_js(a: f32, b: f32) -> f32 {
  return select(b, a, a >= b || is_nan(a));
}

// By bits: lavapipe's compiler folds `a != a` to false.
fn is_nan(a: f32) -> bool {
  return (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u;
}

fn f(a: f32, b: f32) -> f32 {
  return {{OP}};
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let first = first_element(wg, groups, t);
  for (var j = 0u; j < PER_THREAD; j++) {
    let i = first + j * WORKGROUP;
    if (i >= params.count) { return; }
    y_buf[i] = f(a_buf[offset_a(i)], b_buf[offset_b(i)]);
  }
}
