// Shape ops. Most are views (no kernel: a new layout over the same storage); copies happen only
// where a layout cannot express the result (reshape of a strided tensor, cat, contiguous).
import { checkTensor, describe } from '../check.js';
import { contiguousLayout, formatShape, isContiguous, normalizeDim, sizeOf, type Layout, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { apply, defineOp } from './op.js';
import { sumTo } from './sum-to.js';

function inferShape(x: Tensor, shape: readonly number[]): number[] {
  const unknown = shape.filter((s) => s === -1).length;
  const known = sizeOf(shape.filter((s) => s !== -1));
  const bad = unknown > 1 || shape.some((s) => !Number.isInteger(s) || s < -1);
  const out = shape.map((s) => (s === -1 ? (known === 0 ? 0 : x.size / known) : s));
  if (bad || !out.every(Number.isInteger) || sizeOf(out) !== x.size) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)}${unknown > 1 ? ' (only one -1 allowed)' : ''}`);
  }
  return out;
}

const reshapeOp = defineOp<Shape>({
  name: 'reshape',
  shape: (_, shape) => shape,
  forward: (backend, [x], shape) =>
    isContiguous(x.layout) ? { of: x, layout: contiguousLayout(shape, x.layout.offset) } : backend.unary('copy', x.storage, x.layout, 0),
  batched: true,
  backward: (g, { inputs: [x], batchDims }) => [g.reshape([...g.shape.slice(0, batchDims), ...x.shape])],
});

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return apply(reshapeOp, [x], inferShape(x, shape));
}

const contiguousOp = defineOp({
  name: 'contiguous',
  shape: ([x]) => x.shape,
  forward: (backend, [x]) => (isContiguous(x.layout) ? { of: x, layout: x.layout } : backend.unary('copy', x.storage, x.layout, 0)),
  batched: true,
  backward: (g) => [g],
});

/** Contiguous data (a copy only when the layout is strided). */
export const contiguous = (x: Tensor): Tensor => apply(contiguousOp, [x], undefined);

const swap = <T>(items: readonly T[], i: number, j: number): T[] => {
  const out = [...items];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
};

const transposeOp = defineOp<readonly [number, number]>({
  name: 'transpose',
  shape: ([x], [i, j]) => swap(x.shape, i, j),
  forward: (_, [x], [i, j]) => ({ of: x, layout: { shape: swap(x.shape, i, j), strides: swap(x.layout.strides, i, j), offset: x.layout.offset } }),
  batched: true,
  backward: (g, { batchDims }, [i, j]) => [g.transpose(i + batchDims, j + batchDims)],
});

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  return apply(transposeOp, [x], [normalizeDim('transpose', dim0, x.ndim), normalizeDim('transpose', dim1, x.ndim)]);
}

export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new Error(`T: expects a tensor of at most 2 dims, got ${formatShape(x.shape)}; use transpose(dim0, dim1)`);
  return x.ndim < 2 ? contiguous(x) : transpose(x, 0, 1);
}

const expandOp = defineOp<Shape>({
  name: 'expand',
  shape: (_, shape) => shape,
  forward(_, [x], shape) {
    const lead = shape.length - x.ndim;
    const strides = shape.map((s, i) => (i < lead || x.shape[i - lead] !== s ? 0 : x.layout.strides[i - lead]));
    return { of: x, layout: { shape, strides, offset: x.layout.offset } };
  },
  batched: true,
  backward: (g, { inputs: [x], batchDims }) => [sumTo(g, x.shape, batchDims)],
});

/** A broadcast view of `x` with `shape` (-1 keeps a size); size-1 dims repeat without copying. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  const out = shape.map((s, i) => (s === -1 && i >= lead ? x.shape[i - lead] : s));
  const ok = lead >= 0 && out.every((s, i) => Number.isInteger(s) && s >= 0 && (i < lead || x.shape[i - lead] === s || x.shape[i - lead] === 1));
  if (!ok) throw new Error(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)} (each dim must match or be 1)`);
  return apply(expandOp, [x], out);
}

interface NarrowParams {
  readonly dim: number;
  readonly start: number;
  readonly length: number;
}

const narrowOp = defineOp<NarrowParams>({
  name: 'narrow',
  shape: ([x], { dim, length }) => x.shape.map((s, i) => (i === dim ? length : s)),
  forward: (_, [x], { dim, start }, shape) => ({
    of: x,
    layout: { shape, strides: x.layout.strides, offset: x.layout.offset + start * x.layout.strides[dim] },
  }),
  batched: true,
  backward: (g, { inputs: [x], batchDims }, { dim, start }) => [apply(padOp, [g], { dim: dim + batchDims, start, size: x.shape[dim] })],
});

/** The inverse of narrow: zeros of size `size` along `dim`, with the input placed at `start`. */
const padOp = defineOp<{ readonly dim: number; readonly start: number; readonly size: number }>({
  name: 'narrowBackward',
  shape: ([g], { dim, size }) => g.shape.map((s, i) => (i === dim ? size : s)),
  forward(backend, [g], { dim, start }, shape) {
    const out = backend.fill(sizeOf(shape), 0);
    backend.copy(g.storage, g.layout, out, regionOf(shape, dim, start, g.shape[dim]));
    return out;
  },
  batched: true,
  backward: (gg, { inputs: [g], batchDims }, { dim, start }) => [gg.narrow(dim + batchDims, start, g.shape[dim])],
});

/** The layout of a slab [start, start + length) along `dim` of a contiguous tensor of `shape`. */
function regionOf(shape: Shape, dim: number, start: number, length: number): Layout {
  const full = contiguousLayout(shape);
  return { shape: shape.map((s, i) => (i === dim ? length : s)), strides: full.strides, offset: start * full.strides[dim] };
}

/** Elements [start, start + length) along `dim`, as a view (like torch.narrow). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim('narrow', dim, x.ndim);
  const s = start < 0 ? start + x.shape[d] : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > x.shape[d]) {
    throw new Error(`narrow: start ${start} and length ${length} fall outside dim ${dim} (size ${x.shape[d]}) of ${formatShape(x.shape)}`);
  }
  return apply(narrowOp, [x], { dim: d, start: s, length });
}

const catOp = defineOp<number>({
  name: 'cat',
  shape(inputs, dim) {
    const first = inputs[0].shape;
    inputs.forEach((t) => {
      if (t.ndim !== first.length || t.shape.some((s, i) => i !== dim && s !== first[i])) {
        throw new Error(`cat: shapes ${inputs.map((x) => formatShape(x.shape)).join(', ')} differ outside dim ${dim}`);
      }
    });
    return first.map((s, i) => (i === dim ? inputs.reduce((n, t) => n + t.shape[dim], 0) : s));
  },
  forward(backend, inputs, dim, shape) {
    const out = backend.fill(sizeOf(shape), 0);
    let start = 0;
    for (const t of inputs) {
      backend.copy(t.storage, t.layout, out, regionOf(shape, dim, start, t.shape[dim]));
      start += t.shape[dim];
    }
    return out;
  },
  batched: true,
  backward(g, { inputs, needsGrad, batchDims }, dim) {
    let start = 0;
    return inputs.map((t, i) => {
      const piece = needsGrad[i] ? g.narrow(dim + batchDims, start, t.shape[dim]) : null;
      start += t.shape[dim];
      return piece;
    });
  },
});

/** Concatenates tensors along `dim` (like torch.cat). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`cat: expects a non-empty array of tensors, got ${describe(tensors)}`);
  tensors.forEach((t, i) => checkTensor('cat', `tensors[${i}]`, t));
  return apply(catOp, tensors, normalizeDim('cat', dim, tensors[0].ndim));
}
