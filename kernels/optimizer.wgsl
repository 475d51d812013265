// optimizer.wgsl — the multi-tensor launch shared by adam and sgd (included, not compiled alone): one
// dispatch updates every element of up to 16 tensors in place.
// Computes: for each element, x = load(k, e); x = update(x); store(k, e, x), where the including
// kernel defines struct Hyper (a multiple of 4 words), struct Element (theta, grad, then its state fields) and
// fn update(x: Element) -> Element.
// Layout: tensor k's element e has
//   - its gradient at grad_offset + e, or at the strided view (grad_rank, grad_shape, grad_strides);
//   - its read-write operands — θ, then the state slices (moments, momentum buffer) — at
//     operands[j] + e, each contiguous in its own buffer (the state of many tensors shares a buffer).
// WGSL cannot index an array of bindings, so the host generates the kernel for each launch shape,
// filling the placeholders (written here without their braces, which would be filled too):
//   BINDINGS  one storage declaration `b<n>` per distinct buffer, read-only ones (gradients) first;
//   TENSORS   the tensor count;
//   LOADS, STORES  one switch case per tensor, moving its element between its bindings and an
//             Element (a strided gradient's case does the index arithmetic, a contiguous one not).
// Grid: view.wgsl's (256 threads, 1024 elements per workgroup), each tensor starting on a workgroup
// of its own: tensor k takes groups first_group_k … first_group_{k+1} − 1, so a workgroup finds its
// one tensor by a scan of the table and all its threads take the same case of the switches.
#include "view.wgsl"

const TENSORS = {{TENSORS}}u;

struct TensorSlice {
  first_group: u32,
  count: u32,
  grad_offset: u32,
  grad_rank: u32,
  operands: vec4<u32>,
  grad_shape: array<vec4<u32>, 2>,
  grad_strides: array<vec4<i32>, 2>,
}

struct Params {
  hyper: Hyper,
  tensors: array<TensorSlice, TENSORS>,
}

@group(0) @binding(0) var<uniform> params: Params;

{{BINDINGS}}

fn strided_grad(k: u32, e: u32) -> u32 {
  let s = params.tensors[k];
  return strided_offset(e, s.grad_offset, s.grad_rank, s.grad_shape, s.grad_strides);
}

fn load(k: u32, e: u32, at: vec4<u32>, grad_at: u32) -> Element {
  var x: Element;
  switch k {
{{LOADS}}
    default: {}
  }
  return x;
}

fn store(k: u32, e: u32, at: vec4<u32>, x: Element) {
  switch k {
{{STORES}}
    default: {}
  }
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let group = wg.y * groups.x + wg.x;
  var k = 0u;
  while (k + 1u < TENSORS && group >= params.tensors[k + 1u].first_group) { k++; }
  let first = (group - params.tensors[k].first_group) * WORKGROUP * PER_THREAD + t;
  let count = params.tensors[k].count;
  let at = params.tensors[k].operands;
  let grad_at = params.tensors[k].grad_offset;
  for (var j = 0u; j < PER_THREAD; j++) {
    let e = first + j * WORKGROUP;
    if (e >= count) { return; }
    store(k, e, at, update(load(k, e, at, grad_at)));
  }
}
