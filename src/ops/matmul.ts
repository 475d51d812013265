// Matrix products with torch.matmul semantics: 1-D operands are promoted and squeezed back, batch
// dims broadcast. Transposed operands are strided views the kernel reads directly, so backward
// (g·Bᵀ, Aᵀ·g) launches no transpose copies.
import { checkTensor } from '../check.js';
import { broadcastShapes, coalesce, formatShape, sizeOf, type Layout, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { apply, composed, defineOp, type OpDef } from './op.js';
import { contiguous, expand } from './views.js';
import { sumTo } from './sum-to.js';

/**
 * The operands' layouts broadcast to the `batch` dims and flattened to [batch, rows, cols], or null
 * when batch dims no single stride can walk (e.g. broadcast in the middle) need copies first.
 */
function batchedLayouts(a: Tensor, b: Tensor, batch: Shape): [Layout, Layout] | null {
  const expandBatch = (x: Tensor): Layout => {
    const lead = batch.length - (x.ndim - 2);
    const strides = batch.map((s, i) => (i < lead || x.shape[i - lead] !== s ? 0 : x.layout.strides[i - lead]));
    return { shape: [...batch], strides, offset: x.layout.offset };
  };
  const [ba, bb] = coalesce([expandBatch(a), expandBatch(b)]);
  if (ba.shape.length > 1) return null;
  const matrix = (x: Tensor, batchLayout: Layout): Layout => ({
    shape: [sizeOf(batch), ...x.shape.slice(-2)],
    strides: [batchLayout.strides[0] ?? 0, ...x.layout.strides.slice(-2)],
    offset: x.layout.offset,
  });
  return [matrix(a, ba), matrix(b, bb)];
}

const matmulOp: OpDef<void> = defineOp({
  name: 'matmul',
  shape: ([a, b]) => {
    const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [...batch, a.shape[a.ndim - 2], b.shape[b.ndim - 1]];
  },
  forward(backend, [a, b], _, shape) {
    const batch = shape.slice(0, -2);
    const layouts = batchedLayouts(a, b, batch);
    if (layouts) return backend.matmul(a.storage, b.storage, { a: layouts[0], b: layouts[1] });
    const dense = (x: Tensor) => contiguous(expand(x, [...batch, ...x.shape.slice(-2)]));
    return composed(() => apply(matmulOp, [dense(a), dense(b)], undefined));
  },
  batched: true, // a leading batch dim of g is one more broadcast batch dim of the products
  backward: (g, { inputs: [a, b], needsGrad, batchDims }) => [
    needsGrad[0] ? sumTo(g.matmul(b.transpose(-1, -2)), a.shape, batchDims) : null,
    needsGrad[1] ? sumTo(a.transpose(-1, -2).matmul(g), b.shape, batchDims) : null,
  ],
});

/** Matrix product with torch.matmul semantics (1-D, 2-D and batched N-D with broadcast batch dims). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  [a, b].forEach((t, i) => checkTensor('matmul', `operand ${i}`, t));
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both operands need at least 1 dim, got ${formatShape(a.shape)} and ${formatShape(b.shape)}; use mul for scalars`);
  }
  const k = a.shape[a.ndim - 1];
  const kb = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (k !== kb) throw new Error(`matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (inner dims ${k} ≠ ${kb})`);
  try {
    broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new Error(`matmul: cannot broadcast the batch dims of ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const a2 = a.ndim === 1 ? a.reshape([1, k]) : a;
  const b2 = b.ndim === 1 ? b.reshape([k, 1]) : b;
  const out = apply(matmulOp, [a2, b2], undefined);
  if (a.ndim > 1 && b.ndim > 1) return out;
  const shape = out.shape.filter((_, i) => !((a.ndim === 1 && i === out.ndim - 2) || (b.ndim === 1 && i === out.ndim - 1)));
  return out.reshape(shape);
}
