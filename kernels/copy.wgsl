// copy.wgsl — dst[view b at i] = src[view a at i] for every element i of one shape: a strided
// source written into a strided destination in place (the destination is the read-write binding).
// Layout and grid: see strided.wgsl. Overrides A_CONTIGUOUS / B_CONTIGUOUS skip index arithmetic.
override A_CONTIGUOUS: bool;
override B_CONTIGUOUS: bool;

#include "strided.wgsl"

@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn element(i: u32) {
  dst[offset_b(i)] = src[offset_a(i)];
}
