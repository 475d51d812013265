// The backward of broadcasting, used by every op that broadcasts its inputs.
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/**
 * Sums `g` over the dims that broadcasting expanded, giving it `inputShape` after g's first
 * `batchDims` dims (a batch of gradients, kept).
 */
export function sumTo(g: Tensor, inputShape: Shape, batchDims = 0): Tensor {
  const added = g.ndim - batchDims - inputShape.length; // dims broadcasting put in front of the input's
  const dims = g.shape
    .map((_, i) => i)
    .filter((i) => i >= batchDims && (i < batchDims + added || (inputShape[i - batchDims - added] === 1 && g.shape[i] !== 1)));
  if (dims.length === 0) return g;
  return g.sum(dims, true).reshape([...g.shape.slice(0, batchDims), ...inputShape]);
}
