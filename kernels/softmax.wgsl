// softmax.wgsl — y = softmax (or log-softmax) of a contiguous tensor seen as [outer, size, inner],
// along the middle axis, read from element `offset`; y is [outer, size, inner] contiguous.
// Numerically stable: m = max_r x, s = Σ_r exp(x − m), y = exp(x − m) / s or (x − m) − log s.
// Scheme (as reduce.wgsl): a workgroup of 256 threads serves 256 / THREADS_PER_OUTPUT consecutive
// (o, i) rows, adjacent threads on adjacent rows; each row's threads fold every
// THREADS_PER_OUTPUT-th element, then tree-reduce in workgroup memory, once for m and once for s.
// 2-D grid (x ≤ 65535), flattened as y · num_workgroups.x + x. Overrides: THREADS_PER_OUTPUT (a
// power of two ≤ 256), LOG (log-softmax).
override THREADS_PER_OUTPUT: u32;
override LOG: bool;

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

/** Tree-combines the rows' partials (max or sum); every thread gets its row's total. */
fn row_total(t: u32, lane: u32, slot: u32, outputs_per_group: u32, value: f32, is_max: bool) -> f32 {
  workgroupBarrier();
  partials[t] = value;
  for (var half = THREADS_PER_OUTPUT / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lane < half) {
      let other = partials[t + half * outputs_per_group];
      partials[t] = select(partials[t] + other, max(partials[t], other), is_max);
    }
  }
  workgroupBarrier();
  return partials[slot];
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let outputs_per_group = WORKGROUP / THREADS_PER_OUTPUT;
  let slot = t % outputs_per_group;
  let lane = t / outputs_per_group;
  let row = (wg.y * groups.x + wg.x) * outputs_per_group + slot;
  let in_range = row < params.outer * params.inner;
  let o = row / params.inner;
  let start = o * params.size * params.inner + row % params.inner;
  let stride = params.inner;
  let count = select(0u, params.size, in_range);

  var m = negative_infinity();
  for (var r = lane; r < count; r += THREADS_PER_OUTPUT) {
    m = max(m, x_buf[params.offset + start + r * stride]);
  }
  m = row_total(t, lane, slot, outputs_per_group, m, true);

  var s = 0.0;
  for (var r = lane; r < count; r += THREADS_PER_OUTPUT) {
    s += exp(x_buf[params.offset + start + r * stride] - m);
  }
  s = row_total(t, lane, slot, outputs_per_group, s, false);

  let log_s = log(s);
  for (var r = lane; r < count; r += THREADS_PER_OUTPUT) {
    let shifted = x_buf[params.offset + start + r * stride] - m;
    y_buf[start + r * stride] = select(exp(shifted) / s, shifted - log_s, LOG);
  }
}
