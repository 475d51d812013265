// matmul.wgsl — C[b] = A[b] · B[b] (+ bias[j] on every row), batched, with workgroup-memory tiles:
// the kernel for GPUs. Views, bindings, layout overrides, split-K and the epilogue: matmul_io.wgsl.
// Tiling (the encoder's configuration, matmul-configs.ts): a workgroup of (BM/TM)·(BN/TN) threads
// computes a BM×BN tile of C, each thread a TM×TN block in registers (TM, TN multiples of 4). K
// advances in slabs of BK: the workgroup stages a BM×BK slab of A and a BK×BN slab of B in workgroup
// memory as vec4s along m and along n, then every thread runs BK rank-1 updates of its block. With
// STAGES = 2 the slabs are double-buffered: the next pair is loaded while the current one is used, one
// barrier per slab instead of two. A thread's row quads are ty + i·(BM/TM) and its column quads
// tx + j·(BN/TN), so neighbouring threads read neighbouring vec4s of a slab.
// Grid: x = ⌈n/BN⌉, y = ⌈m/BM⌉, z = batch · splits.
// load_scalar takes the operand by pointer.
requires unrestricted_pointer_parameters;

#include "matmul_io.wgsl"

const BM = {{BM}}u;
const BN = {{BN}}u;
const BK = {{BK}}u;
const TM = {{TM}}u;
const TN = {{TN}}u;
const STAGES = {{STAGES}}u;
const THREADS_X = BN / TN;
const THREADS_Y = BM / TM;
const THREADS = THREADS_X * THREADS_Y;
const A_QUADS = BM / 4u; // vec4s across a slab of A
const B_QUADS = BN / 4u;
const A_SLAB = BK * A_QUADS;
const B_SLAB = BK * B_QUADS;
const B_START = STAGES * A_SLAB;

// The slabs of every stage: A's [stage][kk][row / 4], then B's [stage][kk][col / 4].
var<workgroup> tiles: array<vec4<f32>, STAGES * (A_SLAB + B_SLAB)>;

// The scalar slab load (mode 0), for A or B: element (x, kk) of the slab that starts at tiles[start]
// (x along m for A, n for B; `quads` vec4s across) is src[base + (x0 + x) · x_stride + (k0 + kk) ·
// k_stride], 0 past `extent` or k. Adjacent threads take adjacent kk when k_fastest (A), else
// adjacent x (B), which is what a row-major operand holds contiguously.
fn load_scalar(src: ptr<storage, array<vec4<f32>>, read>, start: u32, quads: u32, t: u32, base: i32,
               x0: u32, extent: u32, x_stride: i32, k0: u32, k_stride: i32, k_fastest: bool) {
  let width = quads * 4u;
  for (var e = t; e < width * BK; e += THREADS) {
    let x = select(e % width, e / BK, k_fastest);
    let kk = select(e / width, e % BK, k_fastest);
    var v = 0.0;
    if (x0 + x < extent && k0 + kk < params.k) {
      let at = base + i32(x0 + x) * x_stride + i32(k0 + kk) * k_stride;
      v = src[at >> 2u][at & 3];
    }
    tiles[start + kk * quads + x / 4u][x % 4u] = v;
  }
}

fn load_a(t: u32, stage: u32, batch: u32, row0: u32, k0: u32) {
  let s = params.a_strides;
  let base = i32(params.a_offset) + i32(batch) * s.x;
  let start = stage * A_SLAB;
  if (A_MODE == 1u) {
    for (var e = t; e < A_SLAB; e += THREADS) {
      let r = e / (BK / 4u);
      let kq = (e % (BK / 4u)) * 4u;
      var v = vec4<f32>();
      if (row0 + r < params.m && k0 + kq < params.k) { v = a_buf[(base + i32(row0 + r) * s.y + i32(k0 + kq)) / 4]; }
      for (var c = 0u; c < 4u; c++) { tiles[start + (kq + c) * A_QUADS + r / 4u][r % 4u] = v[c]; }
    }
  } else if (A_MODE == 2u) {
    for (var e = t; e < A_SLAB; e += THREADS) {
      let kk = e / A_QUADS;
      let r = (e % A_QUADS) * 4u;
      var v = vec4<f32>();
      if (row0 + r < params.m && k0 + kk < params.k) { v = a_buf[(base + i32(row0 + r) + i32(k0 + kk) * s.z) / 4]; }
      tiles[start + e] = v;
    }
  } else {
    load_scalar(&a_buf, start, A_QUADS, t, base, row0, params.m, s.y, k0, s.z, true);
  }
}

fn load_b(t: u32, stage: u32, batch: u32, col0: u32, k0: u32) {
  let s = params.b_strides;
  let base = i32(params.b_offset) + i32(batch) * s.x;
  let start = B_START + stage * B_SLAB;
  if (B_MODE == 1u) {
    for (var e = t; e < B_SLAB; e += THREADS) {
      let kk = e / B_QUADS;
      let c = (e % B_QUADS) * 4u;
      var v = vec4<f32>();
      if (col0 + c < params.n && k0 + kk < params.k) { v = b_buf[(base + i32(k0 + kk) * s.y + i32(col0 + c)) / 4]; }
      tiles[start + e] = v;
    }
  } else if (B_MODE == 2u) {
    for (var e = t; e < B_SLAB; e += THREADS) {
      let c = e / (BK / 4u);
      let kq = (e % (BK / 4u)) * 4u;
      var v = vec4<f32>();
      if (col0 + c < params.n && k0 + kq < params.k) { v = b_buf[(base + i32(k0 + kq) + i32(col0 + c) * s.z) / 4]; }
      for (var q = 0u; q < 4u; q++) { tiles[start + (kq + q) * B_QUADS + c / 4u][c % 4u] = v[q]; }
    }
  } else {
    load_scalar(&b_buf, start, B_QUADS, t, base, col0, params.n, s.z, k0, s.y, false);
  }
}

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let tx = t % THREADS_X;
  let ty = t / THREADS_X;
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  let batch = wg.z / params.splits;
  let ks = k_range(wg.z % params.splits);
  var acc: array<array<vec4<f32>, TN / 4u>, TM>;
  var stage = 0u;
  if (STAGES == 2u && ks.x < ks.y) {
    load_a(t, 0u, batch, row0, ks.x);
    load_b(t, 0u, batch, col0, ks.x);
  }
  for (var k0 = ks.x; k0 < ks.y; k0 += BK) {
    if (STAGES == 1u) {
      load_a(t, 0u, batch, row0, k0);
      load_b(t, 0u, batch, col0, k0);
    }
    workgroupBarrier();
    // Double-buffered: the next slabs go into the other stage, which every thread finished reading
    // before the barrier above.
    if (STAGES == 2u && k0 + BK < ks.y) {
      load_a(t, 1u - stage, batch, row0, k0 + BK);
      load_b(t, 1u - stage, batch, col0, k0 + BK);
    }
    let a_at = stage * A_SLAB;
    let b_at = B_START + stage * B_SLAB;
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<vec4<f32>, TM / 4u>;
      var b: array<vec4<f32>, TN / 4u>;
      for (var i = 0u; i < TM / 4u; i++) { a[i] = tiles[a_at + kk * A_QUADS + ty + i * THREADS_Y]; }
      for (var j = 0u; j < TN / 4u; j++) { b[j] = tiles[b_at + kk * B_QUADS + tx + j * THREADS_X]; }
      for (var i = 0u; i < TM / 4u; i++) {
        for (var r = 0u; r < 4u; r++) {
          for (var j = 0u; j < TN / 4u; j++) { acc[4u * i + r][j] += a[i][r] * b[j]; }
        }
      }
    }
    if (STAGES == 1u) { workgroupBarrier(); }
    stage = (stage + 1u) % STAGES;
  }
  for (var i = 0u; i < TM / 4u; i++) {
    for (var r = 0u; r < 4u; r++) {
      let row = row0 + 4u * (ty + i * THREADS_Y) + r;
      if (row >= params.m) { continue; }
      for (var j = 0u; j < TN / 4u; j++) {
        for (var c = 0u; c < 4u; c++) {
          let col = col0 + 4u * (tx + j * THREADS_X) + c;
          if (col < params.n) { store_c(wg.z, row, col, acc[4u * i + r][j][c]); }
        }
      }
    }
  }
}
