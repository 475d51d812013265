// reduce.wgsl — y[o, i] = sum or max over r of x[offset + (o · size + r) · inner + i]: a contiguous
// tensor seen as [outer, size, inner], reduced along the middle axis; y is [outer, inner] contiguous.
// Scheme: a workgroup of 256 threads serves 256 / THREADS_PER_OUTPUT consecutive outputs (adjacent
// threads take adjacent outputs, so reads along `inner` are coalesced). The THREADS_PER_OUTPUT
// threads of one output each fold every THREADS_PER_OUTPUT-th element, then combine their partials
// by a tree reduction in workgroup memory. 2-D grid (x ≤ 65535), flattened as y · num_workgroups.x + x.
// Overrides: THREADS_PER_OUTPUT (a power of two ≤ 256); IS_MAX (max, NaN-propagating like the CPU
// `maximum`, else sum).
override THREADS_PER_OUTPUT: u32;
override IS_MAX: bool;

struct Params {
  offset: u32,
  outer: u32,
  size: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x_buf: array<f32>;
@group(0) @binding(2) var<storage, read_write> y_buf: array<f32>;

const WORKGROUP = 256u;

// −inf; WGSL constant expressions reject infinities, so it is made from a runtime bit pattern.
fn negative_infinity() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

var<workgroup> partials: array<f32, WORKGROUP>;

fn maximum_js(a: f32, b: f32) -> f32 {
  return select(b, a, a >= b || is_nan(a));
}

// By bits: lavapipe's compiler folds `a != a` to false.
fn is_nan(a: f32) -> bool {
  return (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u;
}

fn combine(a: f32, b: f32) -> f32 {
  if (IS_MAX) { return maximum_js(a, b); }
  return a + b;
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let outputs_per_group = WORKGROUP / THREADS_PER_OUTPUT;
  let slot = t % outputs_per_group;
  let lane = t / outputs_per_group;
  let output = (wg.y * groups.x + wg.x) * outputs_per_group + slot;
  var acc = select(0.0, negative_infinity(), IS_MAX);
  if (output < params.outer * params.inner) {
    let o = output / params.inner;
    let base = params.offset + o * params.size * params.inner + output % params.inner;
    for (var r = lane; r < params.size; r += THREADS_PER_OUTPUT) {
      acc = combine(acc, x_buf[base + r * params.inner]);
    }
  }
  partials[t] = acc;
  for (var half = THREADS_PER_OUTPUT / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lane < half) {
      partials[t] = combine(partials[t], partials[t + half * outputs_per_group]);
    }
  }
  if (lane == 0u && output < params.outer * params.inner) {
    y_buf[output] = partials[t];
  }
}
