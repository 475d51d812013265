// copy.wgsl — dst[view b at i] = src[view a at i] for every element i of one shape: a strided
// source written into a strided destination in place (the destination is the read-write binding).
// Layout and grid: see strided.wgsl. Overrides A_CONTIGUOUS / B_CONTIGUOUS skip index arithmetic.
override A_CONTIGUOUS: bool;
override B_CONTIGUOUS: bool;

#include "strided.wgsl"

@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let first = first_element(wg, groups, t);
  for (var j = 0u; j < PER_THREAD; j++) {
    let i = first + j * WORKGROUP;
    if (i >= params.count) { return; }
    dst[offset_b(i)] = src[offset_a(i)];
  }
}
