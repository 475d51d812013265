// matmul.wgsl — C[b] = A[b] · B[b] (+ bias[j] on every row), batched, with workgroup-memory tiles:
// the kernel for GPUs. Views, bindings, layout overrides and the epilogue: matmul_io.wgsl.
// Tiling: a workgroup of 16×16 threads computes a 64×64 tile of C, each thread a 4×4 block held in
// registers. K advances in steps of 16: the workgroup stages a 64×16 slab of A and a 16×64 slab of B
// in workgroup memory (as vec4 along m and along n), then every thread runs 16 rank-1 updates of its
// block. Grid: x = ⌈n/64⌉, y = ⌈m/64⌉, z = batch.
// load_scalar takes the operand and its tile by pointer.
requires unrestricted_pointer_parameters, pointer_composite_access;

#include "matmul_io.wgsl"

const TILE = 64u;
const TILE_K = 16u;
const QUADS = TILE / 4u; // vec4s across a tile

alias Slab = array<vec4<f32>, TILE_K * QUADS>;
var<workgroup> a_tile: Slab; // [kk][row / 4]
var<workgroup> b_tile: Slab; // [kk][col / 4]

// The scalar slab load (mode 0), for A or B: element (x, kk) of the 64×16 slab, x along m (A) or n
// (B), is src[base + (x0 + x) · x_stride + (k0 + kk) · k_stride], 0 past `extent` or k. Each thread
// loads 4 of the 1024; adjacent threads take adjacent kk when k_fastest (A), else adjacent x (B),
// which is what a row-major operand holds contiguously.
fn load_scalar(src: ptr<storage, array<vec4<f32>>, read>, tile: ptr<workgroup, Slab>, t: u32, base: i32,
               x0: u32, extent: u32, x_stride: i32, k0: u32, k_stride: i32, k_fastest: bool) {
  for (var j = 0u; j < 4u; j++) {
    let e = t + j * 256u;
    let x = select(e % TILE, e / TILE_K, k_fastest);
    let kk = select(e / TILE, e % TILE_K, k_fastest);
    var v = 0.0;
    if (x0 + x < extent && k0 + kk < params.k) {
      let at = base + i32(x0 + x) * x_stride + i32(k0 + kk) * k_stride;
      v = src[at >> 2u][at & 3];
    }
    tile[kk * QUADS + x / 4u][x % 4u] = v;
  }
}

fn load_a(t: u32, batch: u32, row0: u32, k0: u32) {
  let s = params.a_strides;
  let base = i32(params.a_offset) + i32(batch) * s.x;
  if (A_MODE == 1u) {
    let r = t / 4u;
    let kq = (t % 4u) * 4u;
    var v = vec4<f32>();
    if (row0 + r < params.m && k0 + kq < params.k) {
      v = a_buf[(base + i32(row0 + r) * s.y + i32(k0 + kq)) / 4];
    }
    for (var c = 0u; c < 4u; c++) { a_tile[(kq + c) * QUADS + r / 4u][r % 4u] = v[c]; }
  } else if (A_MODE == 2u) {
    let kk = t / QUADS;
    let r = (t % QUADS) * 4u;
    var v = vec4<f32>();
    if (row0 + r < params.m && k0 + kk < params.k) {
      v = a_buf[(base + i32(row0 + r) + i32(k0 + kk) * s.z) / 4];
    }
    a_tile[kk * QUADS + r / 4u] = v;
  } else {
    load_scalar(&a_buf, &a_tile, t, base, row0, params.m, s.y, k0, s.z, true);
  }
}

fn load_b(t: u32, batch: u32, col0: u32, k0: u32) {
  let s = params.b_strides;
  let base = i32(params.b_offset) + i32(batch) * s.x;
  if (B_MODE == 1u) {
    let kk = t / QUADS;
    let c = (t % QUADS) * 4u;
    var v = vec4<f32>();
    if (col0 + c < params.n && k0 + kk < params.k) {
      v = b_buf[(base + i32(k0 + kk) * s.y + i32(col0 + c)) / 4];
    }
    b_tile[kk * QUADS + c / 4u] = v;
  } else if (B_MODE == 2u) {
    let c = t / 4u;
    let kq = (t % 4u) * 4u;
    var v = vec4<f32>();
    if (col0 + c < params.n && k0 + kq < params.k) {
      v = b_buf[(base + i32(k0 + kq) + i32(col0 + c) * s.z) / 4];
    }
    for (var q = 0u; q < 4u; q++) { b_tile[(kq + q) * QUADS + c / 4u][c % 4u] = v[q]; }
  } else {
    load_scalar(&b_buf, &b_tile, t, base, col0, params.n, s.z, k0, s.y, false);
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row0 = wg.y * TILE;
  let col0 = wg.x * TILE;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    load_a(t, wg.z, row0, k0);
    load_b(t, wg.z, col0, k0);
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let a = a_tile[kk * QUADS + lid.y];
      let b = b_tile[kk * QUADS + lid.x];
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row >= params.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x * 4u + j;
      if (col >= params.n) { break; }
      store_c(wg.z, row, col, acc[i][j]);
    }
  }
}
