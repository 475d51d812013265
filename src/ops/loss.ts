// Numerically stable losses: one graph node each, with the closed-form gradient; the forward is a
// backend's fused kernel where it has one (squared error), else composed of primitives.
//   squaredError(x, y)     = s · Σ (x − y)²                         ∂/∂x = 2s · (x − y)
//   crossEntropy(x, q)[i]  = −Σc q[i,c] · logSoftmax(x)[i,c]       ∂/∂x = softmax(x)·Σc q − q
//   bceWithLogits(x, y)    = softplus(x) − x·y                     ∂/∂x = sigmoid(x) − y
// softplus(x) = max(x, 0) + log(1 + exp(−|x|)) never overflows.
import type { Tensor } from '../tensor.js';
import { apply, composed, defineOp } from './op.js';
import { scaledSum } from './reduce.js';

interface Scale {
  readonly scale: number;
}

/** alpha · (x − y) · g for the one-value g: squaredError's gradient, itself differentiable. */
const squaredErrorGradOp = defineOp<{ readonly alpha: number }>({
  name: 'squaredErrorGrad',
  shape: ([x]) => x.shape,
  forward: (backend, [x, y, g], { alpha }) =>
    backend.squaredErrorGrad?.(x.storage, x.layout, y.storage, y.layout, g.storage, g.layout.offset, alpha) ?? composed(() => x.sub(y).mul(g.mul(alpha))),
  batched: true,
  backward(G, { inputs: [x, y, g], needsGrad, batchDims }, { alpha }) {
    const gx = needsGrad[0] || needsGrad[1] ? G.mul(g).mul(alpha) : null;
    const perEntry = (t: Tensor) => t.reshape([...t.shape.slice(0, batchDims), -1]).sum(-1);
    return [needsGrad[0] ? gx : null, needsGrad[1] ? gx!.neg() : null, needsGrad[2] ? perEntry(x.sub(y).mul(G)).mul(alpha) : null];
  },
});

/** scale · Σ (x − y)² as a 0-d tensor: with the fused kernels, one launch forward and one backward. */
const squaredErrorOp = defineOp<Scale>({
  name: 'squaredError',
  shape: () => [],
  forward: (backend, [x, y], { scale }) =>
    backend.squaredErrorSum?.(x.storage, x.layout, y.storage, y.layout, scale) ?? composed(() => scaledSum(x.sub(y).square(), scale)),
  batched: true,
  backward(g, { inputs: [x, y], needsGrad }, { scale }) {
    // A batch of B gradients (g is [B]) scales the difference once per entry.
    const gx = g.ndim === 0 ? apply(squaredErrorGradOp, [x, y, g], { alpha: 2 * scale }) : g.reshape([...g.shape, ...x.shape.map(() => 1)]).mul(x.sub(y).mul(2 * scale));
    return [needsGrad[0] ? gx : null, needsGrad[1] ? gx.neg() : null];
  },
});

/** scale · Σ (x − y)² over two tensors of one shape (mseLoss: scale 1/count for 'mean', 1 for 'sum'). */
export const squaredError = (x: Tensor, y: Tensor, scale: number): Tensor => apply(squaredErrorOp, [x, y], { scale });

/** Per-row cross-entropy of logits [N, C] against target distributions [N, C]; out [N]. */
const crossEntropyOp = defineOp({
  name: 'crossEntropy',
  shape: ([x]) => x.shape.slice(0, -1),
  forward: (_, [x, q]) => composed(() => x.logSoftmax(-1).mul(q).sum(-1).neg()),
  batched: true,
  backward(g, { inputs: [x, q], needsGrad }) {
    const perRow = g.reshape([...g.shape, 1]);
    return [
      needsGrad[0] ? x.softmax(-1).mul(q.sum(-1, true)).sub(q).mul(perRow) : null,
      needsGrad[1] ? x.logSoftmax(-1).neg().mul(perRow) : null,
    ];
  },
});

/** Cross-entropy per row of `logits` [..., C] against target probabilities of the same shape. */
export const crossEntropyWithProbabilities = (logits: Tensor, target: Tensor): Tensor => apply(crossEntropyOp, [logits, target], undefined);

const bceWithLogitsOp = defineOp({
  name: 'bceWithLogits',
  shape: ([x]) => x.shape,
  forward: (_, [x, y]) => composed(() => x.softplus().sub(x.mul(y))),
  batched: true,
  backward: (g, { inputs: [x, y], needsGrad }) => [needsGrad[0] ? x.sigmoid().sub(y).mul(g) : null, needsGrad[1] ? x.neg().mul(g) : null],
});

/** Elementwise binary cross-entropy of logits `x` against targets `y` in [0, 1]. */
export const bceWithLogits = (x: Tensor, y: Tensor): Tensor => apply(bceWithLogitsOp, [x, y], undefined);
