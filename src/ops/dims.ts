// Ops that rearrange dims: squeeze, unsqueeze and permute are views (a new layout, no kernel);
// flatten and repeat reshape (a copy only when the layout cannot express the result); stack
// concatenates along a new dim.
import { checkTensor, describe } from '../check.js';
import { formatShape, normalizeDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { apply, defineOp } from './op.js';
import { cat, expand, reshape } from './views.js';

/**
 * A view that only drops or inserts size-1 dims: output dim i is input dim keep[i], or a new
 * size-1 dim where keep[i] is -1 (a size-1 dim's stride is never used).
 */
const unitDimsOp = (name: string) =>
  defineOp<readonly number[]>({
    name,
    shape: ([x], keep) => keep.map((i) => (i < 0 ? 1 : x.shape[i])),
    forward: (_, [x], keep, shape) => ({ of: x, layout: { shape, strides: keep.map((i) => (i < 0 ? 1 : x.layout.strides[i])), offset: x.layout.offset } }),
    batched: true,
    backward: (g, { inputs: [x], batchDims }) => [g.reshape([...g.shape.slice(0, batchDims), ...x.shape])],
  });

const squeezeOp = unitDimsOp('squeeze');
const unsqueezeOp = unitDimsOp('unsqueeze');

/**
 * Drops size-1 dims: all of them, or those among `dim` (a dim or an array of dims, negative
 * counts from the end) — a listed dim whose size is not 1 stays, as in PyTorch. A view.
 */
export function squeeze(x: Tensor, dim?: number | readonly number[] | null): Tensor {
  checkTensor('squeeze', 'input', x);
  if (dim !== undefined && dim !== null && typeof dim !== 'number' && !Array.isArray(dim)) {
    throw new Error(`squeeze: dim must be a number, an array of numbers or omitted, got ${describe(dim)}`);
  }
  const listed = dim === undefined || dim === null ? null : (typeof dim === 'number' ? [dim] : dim).map((d) => normalizeDim('squeeze', d, x.ndim));
  const keep = x.shape.map((_, i) => i).filter((i) => x.shape[i] !== 1 || (listed !== null && !listed.includes(i)));
  return apply(squeezeOp, [x], keep);
}

/** Inserts a size-1 dim at `dim` (in −(ndim + 1) … ndim, like torch.unsqueeze). A view. */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'input', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const keep = Array.from({ length: x.ndim + 1 }, (_, i) => (i < d ? i : i === d ? -1 : i - 1));
  return apply(unsqueezeOp, [x], keep);
}

const permuteOp = defineOp<readonly number[]>({
  name: 'permute',
  shape: ([x], dims) => dims.map((d) => x.shape[d]),
  forward: (_, [x], dims, shape) => ({ of: x, layout: { shape, strides: dims.map((d) => x.layout.strides[d]), offset: x.layout.offset } }),
  batched: true,
  backward: (g, { batchDims }, dims): Tensor[] => {
    const inverse = Array.from({ length: batchDims + dims.length }, (_, i) => i);
    dims.forEach((d, i) => (inverse[batchDims + d] = batchDims + i));
    return [permute(g, inverse)];
  },
});

/** Output dim i is input dim dims[i] (a permutation of 0 … ndim − 1, negatives allowed). A view. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', 'input', x);
  const fix = `pass each of the ${x.ndim} dims once, e.g. permute(${Array.from({ length: x.ndim }, (_, i) => x.ndim - 1 - i).join(', ')})`;
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new Error(`permute: ${formatShape(x.shape)} has ${x.ndim} dims, got ${Array.isArray(dims) ? `${dims.length} (${dims.join(', ')})` : describe(dims)}; ${fix}`);
  }
  const order = dims.map((d) => normalizeDim('permute', d, x.ndim));
  if (new Set(order).size !== order.length) throw new Error(`permute: dims (${dims.join(', ')}) repeat a dim of ${formatShape(x.shape)}; ${fix}`);
  return apply(permuteOp, [x], order);
}

/** Merges dims startDim … endDim into one (a 0-d tensor becomes [1]), like torch.flatten. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', 'input', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const [s, e] = [normalizeDim('flatten', startDim, x.ndim), normalizeDim('flatten', endDim, x.ndim)];
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} in ${formatShape(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Joins tensors of one shape along a new dim `dim` (in −(ndim + 1) … ndim), like torch.stack. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`stack: expects a non-empty array of tensors, got ${describe(tensors)}`);
  tensors.forEach((t, i) => checkTensor('stack', `tensors[${i}]`, t));
  const shape = tensors[0].shape;
  if (tensors.some((t) => t.ndim !== shape.length || t.shape.some((s: number, i: number) => s !== shape[i]))) {
    throw new Error(`stack: the tensors must share one shape, got ${tensors.map((t) => formatShape(t.shape)).join(', ')}`);
  }
  const d = normalizeDim('stack', dim, shape.length + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/**
 * Tiles `x` sizes[i] times along dim i (like torch.Tensor.repeat): sizes may be longer than
 * x.ndim, adding leading dims. A copy (a view when every count is 1).
 */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  checkTensor('repeat', 'input', x);
  if (sizes.length < x.ndim || !sizes.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new Error(`repeat: needs a non-negative integer count for each of the ${x.ndim} dims of ${formatShape(x.shape)} (more add leading dims), got (${sizes.join(', ')})`);
  }
  const lead = sizes.length - x.ndim;
  // [1, p0, 1, p1, …] (p: x's shape padded to sizes.length), expanded to [r0, p0, r1, p1, …].
  const keep = sizes.flatMap((_, i) => [-1, i < lead ? -1 : i - lead]);
  const padded = [...new Array<number>(lead).fill(1), ...x.shape];
  const tiled = expand(apply(unsqueezeOp, [x], keep), sizes.flatMap((r, i) => [r, padded[i]]));
  return reshape(tiled, sizes.map((r, i) => r * padded[i]));
}
