// 2-D poolings over NCHW (or CHW) tensors, as torch.nn.functional: maxPool2d (with PyTorch's
// indices), avgPool2d and adaptiveAvgPool2d, composed from primitives so they run on every backend
// and differentiate to any order (maxPool2d's argmax by the backend's kernel where it has one). Indices are float32 tensors holding exact integers h·W + w.
import type { Conv2dGeometry } from '../backend/backend.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { getBackend } from '../device.js';
import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { eq, rsub } from './elementwise.js';
import { apply, defineOp, type OpDef } from './op.js';
import { axis, batched, hostTensor, pair, unfold, windowGeometry, windowIndex, type Axis, type Pair } from './window.js';

export interface MaxPool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Pair | null;
  /** Implicit −∞ on both sides, at most half the kernel. */
  padding?: Pair;
  dilation?: Pair;
  /** Round the output size up (a last window may start in the right padding). */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  stride?: Pair | null;
  padding?: Pair;
  ceilMode?: boolean;
  /** Whether the zero padding counts in each window's divisor (PyTorch's default, true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  divisorOverride?: number | null;
}

interface PoolGeometry {
  readonly x: Tensor;
  readonly unbatched: boolean;
  readonly rows: Axis;
  readonly cols: Axis;
}

function poolGeometry(op: string, input: Tensor, kernelSize: Pair, stride: Pair | null | undefined, padding: Pair, dilation: Pair, ceilMode: boolean): PoolGeometry {
  checkTensor(op, 'input', input);
  const { x, unbatched } = batched(op, input);
  const [kh, kw] = pair(op, 'kernelSize', kernelSize, 1);
  const [sh, sw] = stride === null || stride === undefined ? [kh, kw] : pair(op, 'stride', stride, 1);
  const [ph, pw] = pair(op, 'padding', padding, 0);
  const [dh, dw] = pair(op, 'dilation', dilation, 1);
  if (typeof ceilMode !== 'boolean') throw new Error(`${op}: ceilMode must be a boolean, got ${describe(ceilMode)}`);
  if (ph > kh / 2 || pw > kw / 2) {
    throw new Error(`${op}: pad should be smaller than or equal to half of kernel size, but got padding [${ph}, ${pw}] for kernel [${kh}, ${kw}]`);
  }
  const [c, h, w] = x.shape.slice(1);
  const rows = axis(h, kh, sh, ph, 2 * ph, dh, ceilMode);
  const cols = axis(w, kw, sw, pw, 2 * pw, dw, ceilMode);
  if (rows.out < 1 || cols.out < 1) {
    throw new Error(`${op}: given input size (${c}x${h}x${w}), the calculated output size (${c}x${rows.out}x${cols.out}) is too small; use a smaller kernel or more padding`);
  }
  return { x, unbatched, rows, cols };
}

/** [N, C, oh·ow] back to [N, C, oh, ow], or [C, oh, ow] for an unbatched input. */
const planes = ({ x, unbatched, rows, cols }: PoolGeometry, y: Tensor): Tensor =>
  y.reshape(unbatched ? [x.shape[1], rows.out, cols.out] : [x.shape[0], x.shape[1], rows.out, cols.out]);

// The backend's argmax of each window, where it has the kernel: the values are then one gather.
const indicesOp: OpDef<Conv2dGeometry> = defineOp({
  name: 'maxPool2dIndices',
  shape: (_, g) => [g.batch, g.inChannels, ...g.output],
  forward: (b, [x], g) => b.maxPool2dIndices!(x.storage, x.layout, g),
});

/**
 * Max over each window with the index h·W + w of its first maximum (PyTorch's tie rule); the
 * gradient goes to that element only (the values are a gather of x, differentiable to any order).
 */
export function maxPool2dWithIndices(input: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): { values: Tensor; indices: Tensor } {
  const { stride, padding = 0, dilation = 1, ceilMode = false } = checkOptions('maxPool2d', options, ['stride', 'padding', 'dilation', 'ceilMode']);
  return tidy(() => {
    const geo = poolGeometry('maxPool2d', input, kernelSize, stride, padding, dilation, ceilMode);
    const { x, rows, cols } = geo;
    const [k, l] = [rows.kernel * cols.kernel, rows.out * cols.out];
    const [n, c, h, w] = x.shape;
    if (getBackend(x.device).maxPool2dIndices) {
      const indices = apply(indicesOp, [x], windowGeometry(x.shape, c, rows, cols));
      return { values: planes(geo, x.reshape([n, c, h * w]).gather(2, indices.reshape([n, c, l]))), indices: planes(geo, indices) };
    }
    const windows = unfold(x, rows, cols, -Infinity);
    const fixed = windows.detach();
    // The first maximum has the largest k − position among the maxima.
    const rank = hostTensor(x.device, Float64Array.from({ length: k }, (_, i) => k - i), [k, 1]);
    const first = rsub(eq(fixed, fixed.amax(2, true)).mul(rank).amax(2, true), k);
    const where = hostTensor(x.device, windowIndex(h, w, rows, cols), [1, 1, k, l]);
    return {
      values: planes(geo, windows.gather(2, first)),
      indices: planes(geo, where.expand([n, c, k, l]).gather(2, first)),
    };
  });
}

/** Max pooling (torch.nn.functional.max_pool2d); see maxPool2dWithIndices for the indices. */
export function maxPool2d(input: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Tensor {
  return tidy(() => maxPool2dWithIndices(input, kernelSize, options).values);
}

/** Average pooling (torch.nn.functional.avg_pool2d) with PyTorch's divisor rules. */
export function avgPool2d(input: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  const known = ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'];
  const { stride, padding = 0, ceilMode = false, countIncludePad = true, divisorOverride = null } = checkOptions('avgPool2d', options, known);
  if (divisorOverride !== null && !(Number.isFinite(divisorOverride) && divisorOverride !== 0)) {
    throw new Error(`avgPool2d: divisorOverride must be a non-zero number, got ${describe(divisorOverride)}`);
  }
  return tidy(() => {
    const geo = poolGeometry('avgPool2d', input, kernelSize, stride, padding, 1, ceilMode);
    const { x, rows, cols } = geo;
    const [h, w] = x.shape.slice(2);
    // Per axis: the window clipped to input + padding (its size counts the padding), then to the input.
    const extent = (a: Axis, size: number, i: number): [number, number] => {
      const start = i * a.stride - a.before;
      const end = Math.min(start + a.kernel, size + a.before);
      return [end - start, Math.min(end, size) - Math.max(start, 0)];
    };
    const scale = new Float64Array(rows.out * cols.out);
    for (let i = 0; i < rows.out; i++) {
      const [withPadH, insideH] = extent(rows, h, i);
      for (let j = 0; j < cols.out; j++) {
        const [withPadW, insideW] = extent(cols, w, j);
        scale[i * cols.out + j] = 1 / (divisorOverride ?? (countIncludePad ? withPadH * withPadW : insideH * insideW));
      }
    }
    return planes(geo, unfold(x, rows, cols, 0).sum(2).mul(hostTensor(x.device, scale, [scale.length])));
  });
}

/** The [out, size] averaging matrix of one axis: row i averages [⌊i·size/out⌋, ⌈(i+1)·size/out⌉). */
function adaptiveMatrix(device: Tensor['device'], size: number, out: number): Tensor {
  const m = new Float64Array(out * size);
  for (let i = 0; i < out; i++) {
    const [start, end] = [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
    for (let j = start; j < end; j++) m[i * size + j] = 1 / (end - start);
  }
  return hostTensor(device, m, [out, size]);
}

/**
 * Adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d) to `outputSize` (an integer or
 * [h, w], null keeping that size): two matrix products with host-built averaging matrices.
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  checkTensor('adaptiveAvgPool2d', 'input', input);
  return tidy(() => {
    const { x, unbatched } = batched('adaptiveAvgPool2d', input);
    const [h, w] = x.shape.slice(2);
    const wanted = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) ? outputSize : [];
    const size = wanted.map((s, i) => (s === null ? [h, w][i] : s));
    if (size.length !== 2 || !size.every((s) => Number.isInteger(s) && s >= 1)) {
      throw new Error(`adaptiveAvgPool2d: outputSize must be a positive integer or a pair [h, w] of them (null keeps a size), got ${describe(outputSize)}`);
    }
    if (h === 0 || w === 0) throw new Error(`adaptiveAvgPool2d: input [${input.shape.join(', ')}] must have non-zero height and width`);
    const y = adaptiveMatrix(x.device, h, size[0]).matmul(x).matmul(adaptiveMatrix(x.device, w, size[1]).T);
    return unbatched ? y.reshape(y.shape.slice(1)) : y;
  });
}
