// quads.wgsl — shared by unary_vec4 and binary_vec4 (included, not compiled alone): the entry point
// of an elementwise kernel whose views are contiguous runs starting at multiples of 4, so it works on
// vec4 quads (a quarter of the loads and stores of the scalar kernels). It runs the kernel's
// `fn quad(q: u32)` for every quad q < ⌈count / 4⌉. The last quad may reach past count, into the
// padding every storage buffer has up to a multiple of 16 bytes: values computed there are never read.
// Parameters: strided_views.wgsl's (offsets.x, offsets.y multiples of 4). Grid: view.wgsl's, over quads.
const A_CONTIGUOUS = true;
const B_CONTIGUOUS = true;

#include "strided_views.wgsl"

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let first = first_element(wg, groups, t);
  let quads = (params.count + 3u) / 4u;
  for (var j = 0u; j < PER_THREAD; j++) {
    let q = first + j * WORKGROUP;
    if (q >= quads) { return; }
    quad(q);
  }
}
