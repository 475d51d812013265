// Matrix products with torch.matmul semantics: 1-D operands are promoted and squeezed back, batch
// dims broadcast. Transposed operands are strided views the kernel reads directly, so backward
// (g·Bᵀ, Aᵀ·g) launches no transpose copies.
import type { Backend, Storage } from '../backend/backend.js';
import { checkTensor } from '../check.js';
import { broadcastShapes, coalesce, formatShape, sizeOf, type Layout, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { apply, defineOp } from './op.js';
import { sumTo } from './sum-to.js';

/** `x`'s layout broadcast to `batch` leading dims and flattened to [batch, rows, cols], copying if needed. */
function batchedOperands(backend: Backend, a: Tensor, b: Tensor, batch: Shape): { a: [Storage, Layout]; b: [Storage, Layout]; temporaries: Storage[] } {
  const expandBatch = (x: Tensor): Layout => {
    const lead = batch.length - (x.ndim - 2);
    const strides = batch.map((s, i) => (i < lead || x.shape[i - lead] !== s ? 0 : x.layout.strides[i - lead]));
    return { shape: [...batch], strides, offset: x.layout.offset };
  };
  const [ba, bb] = coalesce([expandBatch(a), expandBatch(b)]);
  const matrix = (x: Tensor, batchLayout: Layout): Layout => ({
    shape: [sizeOf(batch), ...x.shape.slice(-2)],
    strides: [batchLayout.strides[0] ?? 0, ...x.layout.strides.slice(-2)],
    offset: x.layout.offset,
  });
  if (ba.shape.length <= 1) return { a: [a.storage, matrix(a, ba)], b: [b.storage, matrix(b, bb)], temporaries: [] };
  // Batch dims that no single stride can walk (e.g. broadcast in the middle): copy to contiguous.
  const copy = (x: Tensor): [Storage, Layout] => {
    const full = expandBatch(x);
    const layout = { shape: [...batch, ...x.shape.slice(-2)], strides: [...full.strides, ...x.layout.strides.slice(-2)], offset: x.layout.offset };
    const [m, n] = x.shape.slice(-2);
    return [backend.unary('copy', x.storage, layout, 0), { shape: [sizeOf(batch), m, n], strides: [m * n, n, 1], offset: 0 }];
  };
  const [ca, cb] = [copy(a), copy(b)];
  return { a: ca, b: cb, temporaries: [ca[0], cb[0]] };
}

const matmulOp = defineOp({
  name: 'matmul',
  shape: ([a, b]) => {
    const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [...batch, a.shape[a.ndim - 2], b.shape[b.ndim - 1]];
  },
  forward(backend, [a, b], _, shape) {
    const { a: [sa, la], b: [sb, lb], temporaries } = batchedOperands(backend, a, b, shape.slice(0, -2));
    const out = backend.matmul(sa, sb, { a: la, b: lb });
    temporaries.forEach((s) => backend.release(s));
    return out;
  },
  backward: (g, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumTo(g.matmul(b.transpose(-1, -2)), a.shape) : null,
    needsGrad[1] ? sumTo(a.transpose(-1, -2).matmul(g), b.shape) : null,
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
