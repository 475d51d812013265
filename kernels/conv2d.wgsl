// conv2d.wgsl — 2-D convolution (groups 1) and its two gradients as implicit GEMMs: C = A · B where B
// is read through the convolution's index arithmetic, never materialised (no im2col buffer).
// Layouts (all contiguous): x [n, c, h, w], weight [o, c, kh, kw], y [n, o, oh, ow]; parameters in
// window.wgsl. MODE selects the product (k: the summed index, walked as nested loops, no divisions):
//   0 forward      y[z]  [o, oh·ow] = Σ over (ci, ki, kj) of weight[o, ci, ki, kj] · x[z, ci, r, q]
//   1 input grad   gx[z] [c, h·w]   = Σ over (oc, ki, kj) of weight[oc, c, ki, kj] · gy[z, oc, oi, oj]:
//                  each input pixel gathers the outputs whose window covers it (no atomics)
//   2 weight grad  gw [o, c·kh·kw]  = Σ over (z, oi, oj) of gy[z, o, oi, oj] · x[z, ci, r, q]: the
//                  batch sum is the product's own k loop
// with r = oi·sh − ph + ki·dh, q = oj·sw − pw + kj·dw, and x read as 0 in the padding.
// Tiling (register tiles, like matmul_registers.wgsl): a workgroup of THREADS threads computes ROWS
// rows × THREADS·COLS columns of C (THREADS and COLS chosen by the encoder to fit n); a workgroup's rows come from its id alone, so every thread reads
// the same A element at once (one broadcast load); thread t's columns are t + THREADS·j, so
// neighbouring threads read neighbouring elements of B. Grid: x = ⌈n / (THREADS·COLS)⌉,
// y = ⌈m / ROWS⌉, z = the images (modes 0, 1) or 1 (mode 2).
#include "window.wgsl"

override MODE: u32;
const ROWS = 8u;
const COLS = {{COLS}}u;
const THREADS = {{THREADS}}u;

@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> c_buf: array<f32>;

var<private> acc: array<array<f32, COLS>, ROWS>;

/** x[z, ci, r, q], 0 outside the input. */
fn x_at(z: u32, ci: u32, r: i32, q: i32) -> f32 {
  let p = params;
  if (r < 0 || q < 0 || r >= i32(p.height) || q >= i32(p.width)) { return 0.0; }
  return b_buf[p.b_offset + ((z * p.channels + ci) * p.height + u32(r)) * p.width + u32(q)];
}

fn fma_tile(a: array<f32, ROWS>, b: array<f32, COLS>) {
  for (var i = 0u; i < ROWS; i++) {
    for (var j = 0u; j < COLS; j++) { acc[i][j] += a[i] * b[j]; }
  }
}

/** Mode 0: rows are output channels, columns output positions (oi, oj). */
fn forward(z: u32, rows: array<u32, ROWS>, cols: array<u32, COLS>) {
  let p = params;
  var r0: array<i32, COLS>;
  var q0: array<i32, COLS>;
  for (var j = 0u; j < COLS; j++) {
    r0[j] = i32(cols[j] / p.out_w) * p.stride.x - p.padding.x;
    q0[j] = i32(cols[j] % p.out_w) * p.stride.y - p.padding.y;
  }
  let window = p.kh * p.kw;
  for (var ci = 0u; ci < p.channels; ci++) {
    for (var ki = 0u; ki < p.kh; ki++) {
      for (var kj = 0u; kj < p.kw; kj++) {
        let k = (ci * p.kh + ki) * p.kw + kj;
        var a: array<f32, ROWS>;
        var b: array<f32, COLS>;
        for (var i = 0u; i < ROWS; i++) { a[i] = a_buf[p.a_offset + rows[i] * p.channels * window + k]; }
        for (var j = 0u; j < COLS; j++) { b[j] = x_at(z, ci, r0[j] + i32(ki) * p.dilation.x, q0[j] + i32(kj) * p.dilation.y); }
        fma_tile(a, b);
      }
    }
  }
}

/** Mode 1: rows are input channels, columns input pixels (r, q). */
fn input_grad(z: u32, rows: array<u32, ROWS>, cols: array<u32, COLS>) {
  let p = params;
  var r0: array<i32, COLS>;
  var q0: array<i32, COLS>;
  for (var j = 0u; j < COLS; j++) {
    r0[j] = i32(cols[j] / p.width) + p.padding.x;
    q0[j] = i32(cols[j] % p.width) + p.padding.y;
  }
  for (var oc = 0u; oc < p.out_channels; oc++) {
    for (var ki = 0u; ki < p.kh; ki++) {
      for (var kj = 0u; kj < p.kw; kj++) {
        var a: array<f32, ROWS>;
        var b: array<f32, COLS>;
        for (var i = 0u; i < ROWS; i++) { a[i] = a_buf[p.a_offset + ((oc * p.channels + rows[i]) * p.kh + ki) * p.kw + kj]; }
        for (var j = 0u; j < COLS; j++) {
          // Output (oi, oj) reads this pixel at entry (ki, kj) when oi·sh = r + ph − ki·dh (and likewise for oj).
          let t = vec2(r0[j] - i32(ki) * p.dilation.x, q0[j] - i32(kj) * p.dilation.y);
          let o = t / p.stride;
          let inside = all(t >= vec2(0)) && all(o * p.stride == t) && o.x < i32(p.out_h) && o.y < i32(p.out_w);
          b[j] = 0.0;
          if (inside) { b[j] = b_buf[p.b_offset + ((z * p.out_channels + oc) * p.out_h + u32(o.x)) * p.out_w + u32(o.y)]; }
        }
        fma_tile(a, b);
      }
    }
  }
}

/** Mode 2: rows are output channels, columns weight entries (ci, ki, kj); a is gy, b is x. */
fn weight_grad(rows: array<u32, ROWS>, cols: array<u32, COLS>) {
  let p = params;
  let window = p.kh * p.kw;
  var ci: array<u32, COLS>;
  var dr: array<i32, COLS>;
  var dq: array<i32, COLS>;
  for (var j = 0u; j < COLS; j++) {
    ci[j] = cols[j] / window;
    dr[j] = i32((cols[j] % window) / p.kw) * p.dilation.x - p.padding.x;
    dq[j] = i32(cols[j] % p.kw) * p.dilation.y - p.padding.y;
  }
  for (var z = 0u; z < p.batch; z++) {
    for (var oi = 0u; oi < p.out_h; oi++) {
      for (var oj = 0u; oj < p.out_w; oj++) {
        var a: array<f32, ROWS>;
        var b: array<f32, COLS>;
        for (var i = 0u; i < ROWS; i++) { a[i] = a_buf[p.a_offset + ((z * p.out_channels + rows[i]) * p.out_h + oi) * p.out_w + oj]; }
        let r = i32(oi) * p.stride.x;
        let q = i32(oj) * p.stride.y;
        for (var j = 0u; j < COLS; j++) { b[j] = x_at(z, ci[j], r + dr[j], q + dq[j]); }
        fma_tile(a, b);
      }
    }
  }
}

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let p = params;
  let window = p.kh * p.kw;
  var size = vec2(p.out_channels, p.out_h * p.out_w);
  if (MODE == 1u) { size = vec2(p.channels, p.height * p.width); }
  if (MODE == 2u) { size = vec2(p.out_channels, p.channels * window); }
  // Rows and columns past C's edge are clamped for reading and never stored.
  var rows: array<u32, ROWS>;
  var cols: array<u32, COLS>;
  for (var i = 0u; i < ROWS; i++) { rows[i] = min(wg.y * ROWS + i, size.x - 1u); }
  for (var j = 0u; j < COLS; j++) { cols[j] = min(wg.x * THREADS * COLS + t + THREADS * j, size.y - 1u); }
  if (MODE == 0u) { forward(wg.z, rows, cols); }
  if (MODE == 1u) { input_grad(wg.z, rows, cols); }
  if (MODE == 2u) { weight_grad(rows, cols); }
  let image = p.c_offset + wg.z * size.x * size.y;
  for (var i = 0u; i < ROWS; i++) {
    let row = wg.y * ROWS + i;
    if (row >= size.x) { break; }
    for (var j = 0u; j < COLS; j++) {
      let col = wg.x * THREADS * COLS + t + THREADS * j;
      if (col < size.y) { c_buf[image + row * size.y + col] = acc[i][j]; }
    }
  }
}
