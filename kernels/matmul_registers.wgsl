// matmul_registers.wgsl — C[b] = A[b] · B[b] (+ bias[j] on every row), batched, with register tiles
// and no workgroup memory: the kernel for adapters that run shaders on the CPU (lavapipe, SwiftShader,
// WARP), where workgroup memory is ordinary cached memory and every barrier switches coroutines.
// Views, bindings, layout overrides, split-K and the epilogue: matmul_io.wgsl.
// Tiling: a workgroup of THREADS threads computes ROWS rows × THREADS·QUADS·4 columns of C; each
// thread holds ROWS × QUADS vec4 accumulators, its quads THREADS apart so that neighbouring threads
// read neighbouring vec4s of B. A workgroup's rows come from its id alone, so all its threads read
// the same element of A at once: one load broadcast to the SIMD lanes (or the warp); a transposed A
// (A_MODE 2) is read as vec4s along m and transposed in registers. K advances by
// 4: a 4×4 block of B per quad (a mat4x4 whose column kk is row k0 + kk of the block, or transposed
// for a B read along k) times the vec4 A[row, k0…k0+3]. Rows and quads past C's edge are clamped
// for reading and never stored. Grid: x = ⌈n / (THREADS·QUADS·4)⌉, y = ⌈m / ROWS⌉,
// z = batch · splits.
#include "matmul_io.wgsl"

const ROWS = {{ROWS}}u;
const QUADS = {{QUADS}}u;
const THREADS = {{THREADS}}u;

fn a_at(base: i32, row: u32, k: u32) -> f32 {
  if (k >= params.k) { return 0.0; }
  let at = base + i32(row) * params.a_strides.y + i32(k) * params.a_strides.z;
  return a_buf[at >> 2u][at & 3];
}

/** A[row, k0…k0+3], zero past k. */
fn load_a(base: i32, row: u32, k0: u32) -> vec4<f32> {
  if (A_MODE == 1u) { return a_buf[(base + i32(row) * params.a_strides.y + i32(k0)) / 4]; }
  return vec4(a_at(base, row, k0), a_at(base, row, k0 + 1u), a_at(base, row, k0 + 2u), a_at(base, row, k0 + 3u));
}

/** A[row0 + i, k0…k0+3] for every row i of the tile (rows past m clamped), zero past k. */
fn load_a_rows(base: i32, row0: u32, k0: u32) -> array<vec4<f32>, ROWS> {
  var rows: array<vec4<f32>, ROWS>;
  if (A_MODE == 2u && ROWS % 4u == 0u) {
    // A read along m: a vec4 holds 4 rows at one k; four of them, transposed, are 4 rows' k0…k0+3.
    // m is a multiple of 4 here, so a quad of rows is wholly inside A or wholly past it.
    for (var q = 0u; q < ROWS / 4u; q++) {
      let first = i32(min(row0 + 4u * q, params.m - 4u));
      var block = mat4x4<f32>();
      for (var kk = 0u; kk < 4u; kk++) {
        if (k0 + kk < params.k) { block[kk] = a_buf[(base + first + i32(k0 + kk) * params.a_strides.z) / 4]; }
      }
      let by_row = transpose(block);
      for (var r = 0u; r < 4u; r++) { rows[4u * q + r] = by_row[r]; }
    }
    return rows;
  }
  for (var i = 0u; i < ROWS; i++) { rows[i] = load_a(base, min(row0 + i, params.m - 1u), k0); }
  return rows;
}

fn b_at(base: i32, k: u32, col: u32) -> f32 {
  if (k >= params.k) { return 0.0; }
  let at = base + i32(k) * params.b_strides.y + i32(min(col, params.n - 1u)) * params.b_strides.z;
  return b_buf[at >> 2u][at & 3];
}

/** B[k0…k0+3, col…col+3] as the matrix M with M · a = Σ_kk a[kk] · B[k0 + kk, col…col+3]. */
fn load_b(base: i32, k0: u32, col: u32) -> mat4x4<f32> {
  let s = params.b_strides;
  if (B_MODE == 1u) {
    let at = (base + i32(min(col, params.n - 4u))) / 4;
    var m = mat4x4<f32>();
    for (var kk = 0u; kk < 4u; kk++) {
      if (k0 + kk < params.k) { m[kk] = b_buf[at + i32(k0 + kk) * s.y / 4]; }
    }
    return m;
  }
  if (B_MODE == 2u) {
    let at = base + i32(k0);
    let last = params.n - 1u;
    return transpose(mat4x4(
      b_buf[(at + i32(min(col, last)) * s.z) / 4], b_buf[(at + i32(min(col + 1u, last)) * s.z) / 4],
      b_buf[(at + i32(min(col + 2u, last)) * s.z) / 4], b_buf[(at + i32(min(col + 3u, last)) * s.z) / 4]));
  }
  var m = mat4x4<f32>();
  for (var kk = 0u; kk < 4u; kk++) {
    m[kk] = vec4(b_at(base, k0 + kk, col), b_at(base, k0 + kk, col + 1u), b_at(base, k0 + kk, col + 2u), b_at(base, k0 + kk, col + 3u));
  }
  return m;
}

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let batch = wg.z / params.splits;
  let a_base = i32(params.a_offset) + i32(batch) * params.a_strides.x;
  let b_base = i32(params.b_offset) + i32(batch) * params.b_strides.x;
  let row0 = wg.y * ROWS;
  let col0 = (wg.x * THREADS * QUADS + t) * 4u;
  let ks = k_range(wg.z % params.splits);
  var acc: array<array<vec4<f32>, QUADS>, ROWS>;
  for (var k0 = ks.x; k0 < ks.y; k0 += 4u) {
    var b: array<mat4x4<f32>, QUADS>;
    for (var j = 0u; j < QUADS; j++) { b[j] = load_b(b_base, k0, col0 + j * THREADS * 4u); }
    let a = load_a_rows(a_base, row0, k0);
    for (var i = 0u; i < ROWS; i++) {
      for (var j = 0u; j < QUADS; j++) { acc[i][j] += b[j] * a[i]; }
    }
  }
  for (var i = 0u; i < ROWS; i++) {
    let row = row0 + i;
    if (row >= params.m) { break; }
    for (var j = 0u; j < QUADS; j++) {
      for (var c = 0u; c < 4u; c++) {
        let col = col0 + j * THREADS * 4u + c;
        if (col < params.n) { store_c(wg.z, row, col, acc[i][j][c]); }
      }
    }
  }
}
