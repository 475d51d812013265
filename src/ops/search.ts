// Extremes and their positions: amax/amin (values, the gradient shared among ties), argmax/argmin,
// max/min along a dim (values and indices, the gradient to the selected element) and topk.
// Indices are float32 tensors holding exact integers (dims up to 2^24). They are composed from
// max reductions and masks: the first maximal entry of a slice is found by weighting the 0/1
// mask of its maxima with n, n − 1, …, 1 along the dim and taking the max of that.
import { noGrad } from '../autograd/node.js';
import { checkTensor, describe } from '../check.js';
import { tidy } from '../memory.js';
import { formatShape, normalizeDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { neg, rsub } from './elementwise.js';
import { gather } from './indexing.js';
import { constant, eq, isNan, not, positions } from './masks.js';
import { max as reduceMax, normalizeDims, sum } from './reduce.js';
import { where } from './select.js';
import { permute, squeeze } from './dims.js';
import { cat, reshape } from './views.js';

/** What max(dim), min(dim) and topk return (torch.return_types): the values and their indices. */
export interface ValuesIndices {
  readonly values: Tensor;
  /** Positions along the dim, as a float32 tensor holding exact integers. */
  readonly indices: Tensor;
}

const MAX_INDEXED = 2 ** 24;

function reduceAmax(op: string, x: Tensor, dim: number | readonly number[] | null | undefined, keepdim: boolean): Tensor {
  checkTensor(op, 'input', x);
  const dims = normalizeDims(op, dim, x.ndim);
  if (sizeOf(dims.map((d) => x.shape[d])) === 0) {
    throw new Error(`${op}: cannot reduce ${formatShape(x.shape)} over an empty dim (dims ${dims.join(', ')}): there is no value to return`);
  }
  if (x.size === 0) return sum(x, dims, keepdim); // an empty result: only its shape matters
  if (dims.length === x.ndim) return reduceMax(x, null, keepdim);
  if (dims.length === 1) return reduceMax(x, dims[0], keepdim);
  // Several dims: move them last, merge them into one, reduce that.
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const merged = reshape(permute(x, [...kept, ...dims]), [...kept.map((i) => x.shape[i]), -1]);
  return reshape(reduceMax(merged, -1), keepdim ? x.shape.map((s, i) => (dims.includes(i) ? 1 : s)) : kept.map((i) => x.shape[i]));
}

/** The max over `dim` (a dim, an array of dims, or all when omitted); NaN wins; tied maxima share the gradient (torch.amax). */
export const amax = (x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor => reduceAmax('amax', x, dim, keepdim);

/** The min over `dim` (a dim, an array of dims, or all when omitted); NaN wins; tied minima share the gradient (torch.amin). */
export const amin = (x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor =>
  tidy(() => neg(reduceAmax('amin', checkTensor('amin', 'input', x).neg(), dim, keepdim)));

/**
 * Keepdim indices of the first largest entry of `y` along `dim`, among the entries `taken` (a 0/1
 * mask, optional) does not mark. NaN counts as the largest value with nanFirst, else as the
 * smallest (picked only when nothing else is left), as PyTorch's sort orders them.
 */
function firstLargest(y: Tensor, dim: number, nanFirst: boolean, taken: Tensor | null): Tensor {
  const n = y.shape[dim];
  const nan = isNan(y);
  const free = taken && not(taken);
  let mark: Tensor;
  if (nanFirst) {
    const m = amax(taken ? where(taken, -Infinity, y) : y, dim, true); // NaN when a free entry is
    const mNan = isNan(m);
    mark = mNan.mul(nan).add(not(mNan).mul(eq(y, m)));
  } else {
    const usable = free ? not(nan).mul(free) : not(nan);
    const hasReal = amax(usable, dim, true);
    mark = hasReal.mul(eq(y, amax(where(usable, y, -Infinity), dim, true))).add(not(hasReal).mul(nan));
  }
  if (free) mark = mark.mul(free);
  return rsub(amax(mark.mul(positions(y.device, n, dim, y.ndim, n, -1)), dim, true), n);
}

function checkIndexed(op: string, x: Tensor, dim: number): void {
  if (x.shape[dim] === 0) throw new Error(`${op}: dim ${dim} of ${formatShape(x.shape)} is empty: there is no entry to pick`);
  if (x.shape[dim] > MAX_INDEXED) throw new Error(`${op}: dim ${dim} of ${formatShape(x.shape)} has more than 2^24 entries, past float32's exact integers`);
}

/** `x` as at least 1-D (a 0-d tensor becomes [1]) and the normalised dim, checked to have entries. */
function along(op: string, x: Tensor, dim: number) {
  checkTensor(op, 'input', x);
  const x1 = x.ndim === 0 ? reshape(x, [1]) : x;
  const d = normalizeDim(op, dim, x.ndim);
  checkIndexed(op, x1, d);
  return { x1, d };
}

function argExtremum(op: string, x: Tensor, dim: number | null | undefined, keepdim: boolean, largest: boolean): Tensor {
  checkTensor(op, 'input', x);
  if (dim !== undefined && dim !== null && typeof dim !== 'number') throw new Error(`${op}: dim must be a number or omitted, got ${describe(dim)}`);
  return tidy(() =>
    noGrad(() => {
      if (dim === undefined || dim === null) {
        if (x.size === 0) throw new Error(`${op}: cannot take the ${op} of an empty tensor ${formatShape(x.shape)}`);
        const flat = reshape(x, [-1]);
        return reshape(firstLargest(largest ? flat : flat.neg(), 0, true, null), keepdim ? x.shape.map(() => 1) : []);
      }
      const { x1, d } = along(op, x, dim);
      const idx = firstLargest(largest ? x1 : x1.neg(), d, true, null);
      return x.ndim === 0 ? reshape(idx, []) : keepdim ? idx : squeeze(idx, d);
    }),
  );
}

/**
 * Index of the first largest entry along `dim` (over all elements, flattened, when dim is
 * omitted); NaN counts as the largest. A float32 tensor holding exact integers, not differentiable.
 */
export const argmax = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argExtremum('argmax', x, dim, keepdim, true);

/** Index of the first smallest entry along `dim` (over all elements when omitted); NaN counts as the smallest. Float32 integers. */
export const argmin = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argExtremum('argmin', x, dim, keepdim, false);

function extremumAlong(op: string, x: Tensor, dim: unknown, keepdim: boolean, largest: boolean): ValuesIndices {
  if (typeof dim !== 'number') throw new Error(`${op}: dim must be a number, got ${describe(dim)}; ${op}() without a dim gives the ${op} of all elements`);
  return tidy(() => {
    const { x1, d } = along(op, x, dim);
    const idx = noGrad(() => firstLargest(largest ? x1 : x1.neg(), d, true, null));
    const values = gather(x1, d, idx);
    const shape = x.ndim === 0 ? [] : keepdim ? x1.shape.map((s, i) => (i === d ? 1 : s)) : x.shape.filter((_, i) => i !== d);
    return { values: reshape(values, shape), indices: reshape(idx, shape) };
  });
}

/**
 * max(x): the largest element, a 0-d tensor (tied maxima share the gradient, as torch.max()).
 * max(x, dim, keepdim): per slice along `dim`, the first largest value and its index (like torch.max(x, dim));
 * the gradient goes to that element only. NaN counts as the largest.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? amax(x) : extremumAlong('max', x, dim, keepdim, true);
}

/** min(x): the smallest element (0-d); min(x, dim, keepdim): the first smallest value and its index per slice. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? amin(x) : extremumAlong('min', x, dim, keepdim, false);
}

/**
 * The k largest (or smallest) entries along `dim` and their indices (like torch.topk), in order
 * (ties: the lower index first; NaN counts as the largest value); `sorted` is accepted for
 * PyTorch's signature, the result is always sorted. The gradient goes to the selected elements.
 * Picks one entry per step: k max reductions, so meant for small k.
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): ValuesIndices {
  checkTensor('topk', 'input', x);
  if (typeof largest !== 'boolean' || typeof sorted !== 'boolean') throw new Error(`topk: largest and sorted must be true or false, got ${describe(largest)} and ${describe(sorted)}`);
  const d = normalizeDim('topk', dim, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`topk: k must be an integer in 0 … ${n} (the size of dim ${dim} of ${formatShape(x.shape)}), got ${describe(k)}`);
  return tidy(() => {
    const x1 = x.ndim === 0 ? reshape(x, [1]) : x;
    if (n > MAX_INDEXED) checkIndexed('topk', x1, d);
    const shape = x1.shape.map((s, i) => (i === d ? k : s));
    const indices = noGrad(() => {
      if (k === 0) return constant(x.device, new Float32Array(0), shape);
      const y = largest ? x1 : x1.neg();
      const slots = positions(x.device, n, d, x1.ndim);
      const picked: Tensor[] = [];
      let taken: Tensor | null = null;
      for (let i = 0; i < k; i++) {
        const idx = firstLargest(y, d, largest, taken);
        picked.push(idx);
        const hit = eq(slots, idx);
        taken = taken ? taken.add(hit) : hit;
      }
      return cat(picked, d);
    });
    const out = { values: gather(x1, d, indices), indices };
    return x.ndim === 0 ? { values: reshape(out.values, []), indices: reshape(out.indices, []) } : out;
  });
}
