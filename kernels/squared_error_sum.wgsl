// squared_error_sum.wgsl — y[0] = alpha · Σ_i (a[i] − b[i])² over two strided views of one shape
// (views: strided_views.wgsl): mseLoss's forward for reduction 'mean' (alpha = 1/count) or 'sum'.
// Tiling: one workgroup of 256 threads; thread t folds elements t, t + 256, … (coalesced; summed
// cascaded, cascade.wgsl), then the partials tree-reduce in workgroup memory. Grid: 1. One
// launch suits a loss's sizes; a loss over millions of elements would want a first pass over many
// workgroups.
// Overrides A_CONTIGUOUS / B_CONTIGUOUS skip the index arithmetic.
override A_CONTIGUOUS: bool;
override B_CONTIGUOUS: bool;

#include "strided_views.wgsl"
#include "cascade.wgsl"

@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> y_buf: array<f32>;

var<workgroup> partials: array<f32, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) t: u32) {
  var acc: Cascade;
  for (var i = t; i < params.count; i += WORKGROUP) {
    let d = a_buf[offset_a(i)] - b_buf[offset_b(i)];
    cascade_add(&acc, d * d);
  }
  partials[t] = cascade_total(acc);
  for (var half = WORKGROUP / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (t < half) { partials[t] += partials[t + half]; }
  }
  if (t == 0u) { y_buf[params.offsets.w] = params.alpha * partials[0]; }
}
