// axis.wgsl — shared by reduce and softmax (included, not compiled alone): kernels that work along
// the middle axis of a contiguous tensor x seen as [outer, size, inner] from element `offset`, one
// row (o, i) at a time. Provides Params and the x / y bindings, the thread → row mapping, the
// workgroup tree reduction of a row's partials, −inf, (from nan.wgsl) is_nan and maximum_js, and
// (from cascade.wgsl) the cascaded sum of a lane's run.
// Grid: a workgroup of 256 threads serves 256 / THREADS_PER_OUTPUT consecutive rows, adjacent threads
// on adjacent rows (so reads along `inner` are coalesced); a row's THREADS_PER_OUTPUT threads (its
// lanes) each fold every THREADS_PER_OUTPUT-th element, then combine by `row_total`. The grid is
// 2-D (x ≤ 65535), flattened as y · num_workgroups.x + x.
// Override: THREADS_PER_OUTPUT (a power of two ≤ 256).
override THREADS_PER_OUTPUT: u32;

struct Params {
  offset: u32,
  outer: u32,
  size: u32,
  inner: u32,
  scale: f32, // reduce's sum: multiplies the total (1/size for a mean); softmax ignores it
  out_offset: u32, // of y in its buffer (offset is x's in its own)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x_buf: array<f32>;
@group(0) @binding(2) var<storage, read_write> y_buf: array<f32>;

const WORKGROUP = 256u;
override ROWS_PER_GROUP = WORKGROUP / THREADS_PER_OUTPUT; // derived: the host sets only THREADS_PER_OUTPUT

#include "nan.wgsl"
#include "cascade.wgsl"

var<workgroup> partials: array<f32, WORKGROUP>;

struct Row {
  index: u32,     // o · inner + i
  in_range: bool, // false for the padding rows past outer · inner
  first: u32,     // element r of the row is at first + r · inner, counted from the tensor's start
  slot: u32,      // the row's place in the workgroup
  lane: u32,      // this thread's place among the row's threads
}

fn row_of(wg: vec3<u32>, groups: vec3<u32>, t: u32) -> Row {
  let slot = t % ROWS_PER_GROUP;
  let index = (wg.y * groups.x + wg.x) * ROWS_PER_GROUP + slot;
  let first = index / params.inner * params.size * params.inner + index % params.inner;
  return Row(index, index < params.outer * params.inner, first, slot, t / ROWS_PER_GROUP);
}

// −inf; WGSL constant expressions reject infinities, so it is made from a runtime bit pattern.
fn negative_infinity() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn combine(a: f32, b: f32, is_max: bool) -> f32 {
  if (is_max) { return maximum_js(a, b); }
  return a + b;
}

// Tree-combines the lanes' values of every row in the workgroup (max or sum); every thread gets its
// row's total. Has barriers: the whole workgroup calls it, with the same is_max.
fn row_total(row: Row, value: f32, is_max: bool) -> f32 {
  let t = row.lane * ROWS_PER_GROUP + row.slot;
  workgroupBarrier(); // a previous call's threads may still be reading partials
  partials[t] = value;
  for (var half = THREADS_PER_OUTPUT / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (row.lane < half) {
      partials[t] = combine(partials[t], partials[t + half * ROWS_PER_GROUP], is_max);
    }
  }
  workgroupBarrier();
  return partials[row.slot];
}
