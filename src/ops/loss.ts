// Fused, numerically stable losses: one graph node each, with the closed-form gradient.
//   crossEntropy(x, q)[i]  = −Σc q[i,c] · logSoftmax(x)[i,c]       ∂/∂x = softmax(x)·Σc q − q
//   bceWithLogits(x, y)    = softplus(x) − x·y                     ∂/∂x = sigmoid(x) − y
// softplus(x) = max(x, 0) + log(1 + exp(−|x|)) never overflows.
import { contiguousLayout } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { apply, defineOp } from './op.js';
import { contiguousStorage } from './reduce.js';

/** Per-row cross-entropy of logits [N, C] against target distributions [N, C]; out [N]. */
const crossEntropyOp = defineOp({
  name: 'crossEntropy',
  shape: ([x]) => x.shape.slice(0, -1),
  forward(backend, [x, q]) {
    const [rows, classes] = [x.size / x.shape[x.ndim - 1], x.shape[x.ndim - 1]];
    const src = contiguousStorage(backend, x);
    const logp = backend.softmax(src.storage, src.offset, { outer: rows, size: classes, inner: 1 }, true);
    if (src.temporary) backend.release(src.storage);
    const weighted = backend.binary('mul', logp, contiguousLayout(x.shape), q.storage, q.layout);
    backend.release(logp);
    const summed = backend.reduce('sum', weighted, 0, { outer: rows, size: classes, inner: 1 });
    backend.release(weighted);
    const loss = backend.unary('neg', summed, contiguousLayout([rows]), 0);
    backend.release(summed);
    return loss;
  },
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
  forward(backend, [x, y]) {
    const dense = contiguousLayout(x.shape);
    const softplus = backend.unary('softplus', x.storage, x.layout, 0);
    const xy = backend.binary('mul', x.storage, x.layout, y.storage, y.layout);
    const loss = backend.binary('sub', softplus, dense, xy, dense);
    backend.release(softplus);
    backend.release(xy);
    return loss;
  },
  backward: (g, { inputs: [x, y], needsGrad }) => [needsGrad[0] ? x.sigmoid().sub(y).mul(g) : null, needsGrad[1] ? x.neg().mul(g) : null],
});

/** Elementwise binary cross-entropy of logits `x` against targets `y` in [0, 1]. */
export const bceWithLogits = (x: Tensor, y: Tensor): Tensor => apply(bceWithLogitsOp, [x, y], undefined);
