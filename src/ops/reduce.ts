// Reductions and softmax along axes. Kernels take a contiguous tensor seen as [outer, size, inner];
// a strided input is copied to contiguous first.
import type { AxisView, Backend, Storage } from '../backend/backend.js';
import { describe } from '../check.js';
import { isContiguous, normalizeDim, sizeOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { equal } from './elementwise.js';
import { apply, defineOp } from './op.js';

/** A contiguous storage for `x`, and whether the caller must release it. */
export function contiguousStorage(backend: Backend, x: Tensor): { storage: Storage; offset: number; temporary: boolean } {
  if (isContiguous(x.layout)) return { storage: x.storage, offset: x.layout.offset, temporary: false };
  return { storage: backend.unary('copy', x.storage, x.layout, 0), offset: 0, temporary: true };
}

const axisView = (shape: Shape, from: number, to = from + 1): AxisView => ({
  outer: sizeOf(shape.slice(0, from)),
  size: sizeOf(shape.slice(from, to)),
  inner: sizeOf(shape.slice(to)),
});

export function normalizeDims(op: string, dim: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dim === undefined || dim === null) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof dim !== 'number' && !Array.isArray(dim)) throw new Error(`${op}: dim must be a number or an array of numbers, got ${describe(dim)}`);
  const dims = (typeof dim === 'number' ? [dim] : dim).map((d) => normalizeDim(op, d, ndim));
  if (new Set(dims).size !== dims.length) throw new Error(`${op}: dim ${JSON.stringify(dim)} repeats a dimension`);
  return dims.sort((a, b) => a - b);
}

const reducedShape = (shape: Shape, dims: readonly number[], keepdim: boolean): number[] =>
  keepdim ? shape.map((s, i) => (dims.includes(i) ? 1 : s)) : shape.filter((_, i) => !dims.includes(i));

interface ReduceParams {
  readonly dims: readonly number[];
  readonly keepdim: boolean;
}

interface SumParams extends ReduceParams {
  /** Multiplies the sum: 1/count makes it a mean, still one launch. */
  readonly scale: number;
}

const sumOp = defineOp<SumParams>({
  name: 'sum',
  shape: ([x], { dims, keepdim }) => reducedShape(x.shape, dims, keepdim),
  forward(backend, [x], { dims, scale }) {
    const src = contiguousStorage(backend, x);
    let shape = [...x.shape];
    let current = src;
    // Runs of adjacent dims reduce in one launch, last run first so earlier dims keep their place.
    for (let end = dims.length; end > 0; ) {
      let start = end - 1;
      while (start > 0 && dims[start - 1] === dims[start] - 1) start--;
      const [from, to] = [dims[start], dims[end - 1] + 1];
      const out = backend.reduce('sum', current.storage, current.offset, axisView(shape, from, to), start === 0 ? scale : 1);
      if (current.temporary) backend.release(current.storage);
      current = { storage: out, offset: 0, temporary: true };
      shape = [...shape.slice(0, from), 1, ...shape.slice(to)];
      end = start;
    }
    return current.temporary ? current.storage : backend.unary('mulS', current.storage, x.layout, scale);
  },
  backward(g, { inputs: [x] }, { dims, scale }) {
    const spread = g.reshape(reducedShape(x.shape, dims, true));
    return [(scale === 1 ? spread : spread.mul(scale)).expand(x.shape)];
  },
});

export function sum(x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  return apply(sumOp, [x], { dims: normalizeDims('sum', dim, x.ndim), keepdim, scale: 1 });
}

/** scale · Σ x over every element, one launch (a mean with a sign, for instance). */
export function scaledSum(x: Tensor, scale: number): Tensor {
  return apply(sumOp, [x], { dims: normalizeDims('sum', null, x.ndim), keepdim: false, scale });
}

export function mean(x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  const dims = normalizeDims('mean', dim, x.ndim);
  const count = sizeOf(dims.map((d) => x.shape[d]));
  if (count === 0) throw new Error(`mean: cannot average over an empty dimension of ${JSON.stringify(x.shape)}`);
  return apply(sumOp, [x], { dims, keepdim, scale: 1 / count });
}

const maxOp = defineOp<ReduceParams>({
  name: 'max',
  shape: ([x], { dims, keepdim }) => {
    if (x.size === 0) throw new Error(`max: cannot take the max of an empty tensor ${JSON.stringify(x.shape)}`);
    return reducedShape(x.shape, dims, keepdim);
  },
  forward(backend, [x], { dims }) {
    const src = contiguousStorage(backend, x);
    const [from, to] = dims.length ? [dims[0], dims[dims.length - 1] + 1] : [0, 0];
    const out = backend.reduce('max', src.storage, src.offset, axisView(x.shape, from, to));
    if (src.temporary) backend.release(src.storage);
    return out;
  },
  savesOutput: true,
  // The gradient is shared equally among tied maxima (as torch.amax).
  backward(g, { inputs: [x], output }, { dims }) {
    const keepShape = reducedShape(x.shape, dims, true);
    const mask = equal(x, output.reshape(keepShape));
    return [g.reshape(keepShape).mul(mask).div(mask.sum(dims, true))];
  },
});

/** Max over one dim (values only), or over all elements when dim is omitted. */
export function max(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  if (dim === undefined || dim === null) return apply(maxOp, [x.reshape([-1])], { dims: [0], keepdim: false }).reshape(keepdim ? x.shape.map(() => 1) : []);
  return apply(maxOp, [x], { dims: [normalizeDim('max', dim, x.ndim)], keepdim });
}

interface SoftmaxParams {
  readonly dim: number;
  readonly log: boolean;
}

const softmaxOp = defineOp<SoftmaxParams>({
  name: 'softmax',
  shape: ([x]) => x.shape,
  forward(backend, [x], { dim, log }) {
    const src = contiguousStorage(backend, x);
    const out = backend.softmax(src.storage, src.offset, axisView(x.shape, dim), log);
    if (src.temporary) backend.release(src.storage);
    return out;
  },
  savesOutput: true,
  backward: (g, { output: y }, { dim, log }) =>
    log ? [g.sub(y.exp().mul(g.sum(dim, true)))] : [y.mul(g.sub(g.mul(y).sum(dim, true)))],
});

export const softmax = (x: Tensor, dim: number): Tensor => apply(softmaxOp, [x], { dim: normalizeDim('softmax', dim, x.ndim), log: false });
export const logSoftmax = (x: Tensor, dim: number): Tensor => apply(softmaxOp, [x], { dim: normalizeDim('logSoftmax', dim, x.ndim), log: true });
