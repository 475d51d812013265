// Picking elements by index: gather (torch.gather) and indexSelect (rows, classes). Indices are
// float32 tensors holding integers. Backward scatters the gradient back with scatterAdd, whose
// own backward is gather again, so second order works.
import { checkTensor } from '../check.js';
import { formatShape, normalizeDim, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { apply, defineOp } from './op.js';

const gatherOp = defineOp<number>({
  name: 'gather',
  shape([x, index], dim) {
    const fits = index.ndim === x.ndim && index.shape.every((s, i) => i === dim || s <= x.shape[i]);
    if (!fits) {
      throw new Error(`gather: index ${formatShape(index.shape)} must have the rank of input ${formatShape(x.shape)} and no larger size outside dim ${dim}`);
    }
    return index.shape;
  },
  forward: (backend, [x, index], dim) => backend.gather(x.storage, x.layout, dim, index.storage, index.layout),
  batched: true,
  backward: (g, { inputs: [x, index], batchDims }, dim) => {
    const lead = g.shape.slice(0, batchDims);
    return [scatterAdd([...lead, ...x.shape], dim + batchDims, index.expand([...lead, ...index.shape]), g), null];
  },
});

const scatterAddOp = defineOp<{ readonly shape: Shape; readonly dim: number }>({
  name: 'scatterAdd',
  shape: ([index, src], { shape }) => {
    if (index.shape.join() !== src.shape.join()) throw new Error(`scatterAdd: index ${formatShape(index.shape)} and source ${formatShape(src.shape)} differ`);
    return shape;
  },
  forward: (backend, [index, src], { shape, dim }) => backend.scatterAdd(shape, dim, index.storage, index.layout, src.storage, src.layout),
  batched: true,
  backward: (g, { inputs: [index], batchDims }, { dim }) => [null, g.gather(dim + batchDims, index.expand([...g.shape.slice(0, batchDims), ...index.shape]))],
});

/** Zeros of `shape` with src[i] added at position i with i[dim] replaced by index[i]. */
export function scatterAdd(shape: Shape, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = normalizeDim('scatterAdd', dim, shape.length);
  checkTensor('scatterAdd', 'index', index);
  if (index.ndim !== shape.length) throw new Error(`scatterAdd: index ${formatShape(index.shape)} must have the rank of the output ${formatShape(shape)}`);
  return apply(scatterAddOp, [index, src], { shape, dim: d });
}

/** out[i] = x[i with i[dim] replaced by index[i]] (like torch.gather). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return apply(gatherOp, [x, index], normalizeDim('gather', dim, x.ndim));
}

/** The entries of `x` at positions `index` (1-D) along `dim` (like torch.index_select). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim('indexSelect', dim, x.ndim);
  checkTensor('indexSelect', 'index', index);
  if (index.ndim !== 1) throw new Error(`indexSelect: index must be 1-D, got ${formatShape(index.shape)}`);
  const shape = x.shape.map((s, i) => (i === d ? index.size : s));
  const spread = index.reshape(shape.map((s, i) => (i === d ? s : 1))).expand(shape);
  return gather(x, d, spread);
}
