// The backward of broadcasting, used by every op that broadcasts its inputs.
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Sums `g` over the dims that broadcasting expanded, giving it `shape`. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims = g.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1));
  return g.sum(dims, true).reshape(shape);
}
