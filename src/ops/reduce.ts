// Reductions and softmax along axes: one backend call each, on any view (the backend copies a
// strided input when its kernel needs one).
import { describe } from '../check.js';
import { normalizeDim, sizeOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { eq } from './elementwise.js';
import { apply, composed, defineOp } from './op.js';
import { sumTo } from './sum-to.js';

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
  forward: (backend, [x], { dims, scale }) => backend.reduce('sum', x.storage, x.layout, dims, scale),
  batched: true,
  backward(g, { inputs: [x], batchDims }, { dims, scale }) {
    const lead = g.shape.slice(0, batchDims);
    const spread = g.reshape([...lead, ...reducedShape(x.shape, dims, true)]);
    return [(scale === 1 ? spread : spread.mul(scale)).expand([...lead, ...x.shape])];
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
  forward: (backend, [x], { dims }) => backend.reduce('max', x.storage, x.layout, dims),
  savesOutput: true,
  // The gradient is shared equally among tied maxima (as torch.amax).
  batched: true,
  backward(g, { inputs: [x], output, batchDims }, { dims }) {
    const keepShape = reducedShape(x.shape, dims, true);
    const mask = eq(x, output.reshape(keepShape));
    return [g.reshape([...g.shape.slice(0, batchDims), ...keepShape]).mul(mask).div(mask.sum(dims, true))];
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
  forward: (backend, [x], { dim, log }) => backend.softmax(x.storage, x.layout, dim, log),
  savesOutput: true,
  batched: true,
  // A batch of gradients (batchDims leading dims on g, not on y) has its dim further right.
  backward: (g, { output: y, batchDims }, { dim, log }) => [apply(softmaxGradOp, [y, g], { dim: dim + batchDims, log })],
});

/** softmax's backward: log: g − exp(y)·Σg, else y·(g − Σ g·y), summed along dim of g (y broadcasts). */
const softmaxGrad = (y: Tensor, g: Tensor, dim: number, log: boolean): Tensor =>
  log ? g.sub(y.exp().mul(g.sum(dim, true))) : y.mul(g.sub(g.mul(y).sum(dim, true)));

/** The same, one kernel where the backend fuses it; differentiable again for second-order gradients (MAML). */
const softmaxGradOp = defineOp<SoftmaxParams>({
  name: 'softmaxGrad',
  shape: ([, g]) => g.shape,
  // A batch of gradients (g with more dims than y) is composed; the kernel takes one shape.
  forward: (backend, [y, g], { dim, log }) =>
    (y.ndim === g.ndim ? backend.softmaxBackward?.(y.storage, y.layout, g.storage, g.layout, dim, log) : undefined) ??
    composed(() => softmaxGrad(y, g, dim, log)),
  backward(h, { inputs: [y, g], needsGrad }, { dim, log }) {
    // log: out = g − e·Σg with e = exp(y): ∂/∂g = h − Σ(h·e), ∂/∂y = −h·e·Σg.
    // else: out = y·(g − Σ g·y): ∂/∂g = y·(h − Σ h·y), ∂/∂y = h·(g − Σ g·y) − g·Σ h·y.
    if (log) {
      const e = y.exp();
      return [needsGrad[0] ? sumTo(h.mul(e).mul(g.sum(dim, true)).neg(), y.shape) : null, needsGrad[1] ? h.sub(h.mul(e).sum(dim, true)) : null];
    }
    const hy = h.mul(y).sum(dim, true);
    return [needsGrad[0] ? sumTo(h.mul(g.sub(g.mul(y).sum(dim, true))).sub(g.mul(hy)), y.shape) : null, needsGrad[1] ? y.mul(h.sub(hy)) : null];
  },
});

export const softmax = (x: Tensor, dim: number): Tensor => apply(softmaxOp, [x], { dim: normalizeDim('softmax', dim, x.ndim), log: false });
export const logSoftmax = (x: Tensor, dim: number): Tensor => apply(softmaxOp, [x], { dim: normalizeDim('logSoftmax', dim, x.ndim), log: true });
