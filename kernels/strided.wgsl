// strided.wgsl — shared by unary, binary, copy and squared_error_grad (included, not compiled
// alone): their entry point, which runs the kernel's `fn element(i: u32)` for every element
// i < count of the views in strided_views.wgsl.
#include "strided_views.wgsl"

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let first = first_element(wg, groups, t);
  for (var j = 0u; j < PER_THREAD; j++) {
    let i = first + j * WORKGROUP;
    if (i >= params.count) { return; }
    element(i);
  }
}
