// optimizer.wgsl — shared by adam and sgd (included, not compiled alone): the parameter θ, read and
// written in place, contiguous from 0 like every state buffer, and its gradient, a strided view of
// the same shape. Each kernel's Params struct starts with `grad: GradView`, and it defines
// `fn element(i: u32)`, which the entry point here runs for every element i < count. Grid: see view.wgsl.
// Override GRAD_CONTIGUOUS skips the index arithmetic when the gradient is a contiguous run.
override GRAD_CONTIGUOUS: bool;

#include "view.wgsl"

struct GradView {
  count: u32,
  rank: u32,
  offset: u32,
  pad: u32,
  shape: array<vec4<u32>, 2>,
  strides: array<vec4<i32>, 2>,
}

@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;

fn grad_at(i: u32) -> f32 {
  let view = params.grad;
  if (GRAD_CONTIGUOUS) { return grad[view.offset + i]; }
  return grad[strided_offset(i, view.offset, view.rank, view.shape, view.strides)];
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let first = first_element(wg, groups, t);
  for (var j = 0u; j < PER_THREAD; j++) {
    let i = first + j * WORKGROUP;
    if (i >= params.grad.count) { return; }
    element(i);
  }
}
