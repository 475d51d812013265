// The fused Linear layer: y = x·Wᵀ + b in one matmul launch with a bias epilogue. Backward reuses
// matmul on strided views (no transposes are materialised).
import { coalesce, formatShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { tidy } from '../memory.js';
import { apply, composed, defineOp, type OpDef } from './op.js';
import { contiguous } from './views.js';

const linearOp: OpDef<void> = defineOp({
  name: 'linear',
  shape([x, w, b]) {
    const [out, inFeatures] = w.shape;
    const ok = w.ndim === 2 && x.ndim >= 1 && x.shape[x.ndim - 1] === inFeatures && (!b || (b.ndim === 1 && b.shape[0] === out));
    if (!ok) {
      throw new Error(
        `linear: input ${formatShape(x.shape)} does not fit weight ${formatShape(w.shape)}${b ? ` and bias ${formatShape(b.shape)}` : ''} (expected input [..., ${inFeatures}], weight [out, in], bias [out])`,
      );
    }
    return [...x.shape.slice(0, -1), out];
  },
  forward(backend, [x, w, b]) {
    const [out, inFeatures] = w.shape;
    const rows = sizeOf(x.shape.slice(0, -1));
    const [lead] = coalesce([{ shape: x.shape.slice(0, -1), strides: x.layout.strides.slice(0, -1), offset: x.layout.offset }]);
    // Leading dims that no single stride walks (a permuted batch): one contiguous copy first.
    if (lead.shape.length > 1) return composed(() => apply(linearOp, b ? [contiguous(x), w, b] : [contiguous(x), w], undefined));
    const a = { shape: [1, rows, inFeatures], strides: [0, lead.strides[0] ?? 0, x.layout.strides[x.ndim - 1]], offset: x.layout.offset };
    const wT = { shape: [1, inFeatures, out], strides: [0, w.layout.strides[1], w.layout.strides[0]], offset: w.layout.offset };
    return backend.matmul(x.storage, w.storage, { a, b: wT, bias: b && { storage: b.storage, layout: b.layout } });
  },
  batched: true,
  backward(g, { inputs: [x, w, b], needsGrad, batchDims }) {
    // g's rows per batch entry: [..., rows, out]; the weight gradient is one (batched) product.
    const gRows = g.reshape([...g.shape.slice(0, batchDims), -1, g.shape[g.ndim - 1]]);
    return [
      needsGrad[0] ? g.matmul(w) : null,
      needsGrad[1] ? gRows.transpose(-1, -2).matmul(x.reshape([-1, x.shape[x.ndim - 1]])) : null,
      b && needsGrad[2] ? gRows.sum(batchDims) : null,
    ];
  },
});

/**
 * y = x·Wᵀ + b for x [..., in], W [out, in], b [out] (like torch.nn.functional.linear). With a weight
 * per leading entry, W [T, out, in] and b [T, out] (a meta-batch's per-task weights), x is
 * [T, ..., in] and entry t uses W[t], b[t]: one batched matmul.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 3) return apply(linearOp, bias ? [x, weight, bias] : [x, weight], undefined);
  const [tasks, out, inFeatures] = weight.shape;
  if (x.ndim < 2 || x.shape[0] !== tasks || x.shape[x.ndim - 1] !== inFeatures || (bias && (bias.ndim !== 2 || bias.shape.join() !== [tasks, out].join()))) {
    throw new Error(
      `linear: input ${formatShape(x.shape)} does not fit per-entry weight ${formatShape(weight.shape)}${bias ? ` and bias ${formatShape(bias.shape)}` : ''} (expected input [${tasks}, ..., ${inFeatures}], bias [${tasks}, ${out}])`,
    );
  }
  return tidy(() => {
    const y = x.reshape([tasks, -1, inFeatures]).matmul(weight.transpose(-1, -2));
    return (bias ? y.add(bias.unsqueeze(1)) : y).reshape([...x.shape.slice(0, -1), out]);
  });
}
