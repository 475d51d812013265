// Sliding 2-D windows shared by conv2d and the poolings: argument parsing (ints or pairs, as
// PyTorch), the output-size rule, and `unfold`, which gathers every window of an NCHW tensor through
// one indexSelect with a host-built index. Padded positions read one appended constant element, so
// no padded copy is made; indexSelect's backward (scatterAdd, whose backward is gather) makes every
// op built on it differentiable to any order, on every backend.
import type { Conv2dGeometry } from '../backend/backend.js';
import { describe } from '../check.js';
import { getBackend } from '../device.js';
import { contiguousLayout, formatShape } from '../shape.js';
import { TensorHandle } from '../handle.js';
import type { Tensor } from '../tensor.js';
import { cat } from './views.js';

export type Pair = number | readonly [number, number];

/** `value` as [h, w]: an integer ≥ `min` or a pair of them. */
export function pair(op: string, what: string, value: Pair, min: number): [number, number] {
  const p = typeof value === 'number' ? [value, value] : value;
  if (Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= min)) return [p[0], p[1]];
  throw new Error(`${op}: ${what} must be an integer ≥ ${min} or a pair [h, w] of them, got ${Array.isArray(value) ? `[${value.join(', ')}]` : describe(value)}`);
}

/** One axis of a window: kernel size, stride, padding before (and total), dilation, output size. */
export interface Axis {
  readonly kernel: number;
  readonly stride: number;
  readonly before: number;
  readonly dilation: number;
  readonly out: number;
}

/** PyTorch's output size along one axis; ceilMode keeps a last window that starts inside input + left padding. */
export function axis(size: number, kernel: number, stride: number, before: number, total: number, dilation: number, ceilMode = false): Axis {
  const span = size + total - dilation * (kernel - 1) - 1;
  let out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + before) out--;
  return { kernel, stride, before, dilation, out: span < 0 ? Math.min(out, 0) : out };
}

/** The sizes the window kernels of a backend take (conv2d's, maxPool2dIndices'). */
export const windowGeometry = ([batch, inChannels, h, w]: readonly number[], outChannels: number, rows: Axis, cols: Axis): Conv2dGeometry => ({
  batch,
  inChannels,
  outChannels,
  input: [h, w],
  kernel: [rows.kernel, cols.kernel],
  stride: [rows.stride, cols.stride],
  padding: [rows.before, cols.before],
  dilation: [rows.dilation, cols.dilation],
  output: [rows.out, cols.out],
});

/** `x` [N, C, H, W] checked as 4-D (or 3-D unbatched, given a batch dim of 1). */
export function batched(op: string, x: Tensor): { x: Tensor; unbatched: boolean } {
  if (x.ndim === 4) return { x, unbatched: false };
  if (x.ndim === 3) return { x: x.reshape([1, ...x.shape]), unbatched: true };
  throw new Error(`${op}: input ${formatShape(x.shape)} must be 4-D NCHW or 3-D CHW (got ${x.ndim} dims)${x.ndim === 2 ? '; add a channel dim with reshape([1, H, W])' : ''}`);
}

/** A tensor of host values on `device` (float64 where the backend keeps it; indices are exact integers). */
export function hostTensor(device: Tensor['device'], values: Float64Array, shape: readonly number[]): Tensor {
  return TensorHandle.fromStorage(device, getBackend(device).upload(values), contiguousLayout(shape));
}

/**
 * For each kernel position (major) and output position, the flat index h·W + w of the input element
 * it reads, or -1 in the padding: [kh·kw, oh·ow].
 */
export function windowIndex(h: number, w: number, rows: Axis, cols: Axis): Float64Array {
  const index = new Float64Array(rows.kernel * cols.kernel * rows.out * cols.out);
  let at = 0;
  for (let ki = 0; ki < rows.kernel; ki++) {
    for (let kj = 0; kj < cols.kernel; kj++) {
      for (let oi = 0; oi < rows.out; oi++) {
        const r = oi * rows.stride - rows.before + ki * rows.dilation;
        for (let oj = 0; oj < cols.out; oj++) {
          const q = oj * cols.stride - cols.before + kj * cols.dilation;
          index[at++] = r >= 0 && r < h && q >= 0 && q < w ? r * w + q : -1;
        }
      }
    }
  }
  return index;
}

/**
 * Every window of x [N, C, H, W] as [N, C, kh·kw, oh·ow] (kernel position major, like the weight
 * [out, in, kh, kw]); positions in the padding read `padValue`.
 */
export function unfold(x: Tensor, rows: Axis, cols: Axis, padValue: number): Tensor {
  const [n, c, h, w] = x.shape;
  const plane = h * w;
  const index = windowIndex(h, w, rows, cols);
  const padded = index.includes(-1);
  const flat = x.reshape([n, c, plane]);
  const source = padded ? cat([flat, TensorHandle.filled(x.device, [n, c, 1], padValue)], 2) : flat;
  const picks = index.map((i) => (i < 0 ? plane : i));
  return source.indexSelect(2, hostTensor(x.device, picks, [index.length])).reshape([n, c, rows.kernel * cols.kernel, rows.out * cols.out]);
}
