// Similarities and distances between vectors, composed of differentiable ops: normalize,
// cosineSimilarity (PyTorch 1.13's formula) and cdist (p = 2 through the matmul identity).
import { noGrad } from '../autograd/node.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { tidy } from '../memory.js';
import { broadcastShapes, formatShape, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { lt } from './masks.js';
import { sum } from './reduce.js';
import { clampMin, where } from './select.js';
import { norm, zeroSafeRoot } from './stats.js';
import { expand } from './views.js';

export interface NormalizeOptions {
  /** The norm's exponent (default 2). */
  p?: number;
  /** The dim the vectors lie along (default 1). */
  dim?: number;
  /** The smallest divisor (default 1e-12), so a zero vector stays zero. */
  eps?: number;
}

/** x / max(‖x‖_p, eps) along `dim` (like torch.nn.functional.normalize). */
export function normalize(x: Tensor, options?: NormalizeOptions): Tensor {
  checkTensor('normalize', 'input', x);
  const { p = 2, dim = 1, eps = 1e-12 } = checkOptions('normalize', options, ['p', 'dim', 'eps']);
  if (typeof eps !== 'number' || !(eps >= 0)) throw new Error(`normalize: eps must be a number ≥ 0, got ${describe(eps)}`);
  return tidy(() => x.div(clampMin(norm(x, p, normalizeDim('normalize', dim, x.ndim), true), eps)));
}

/**
 * ‖x‖₂ along `dim` (kept) as PyTorch 1.13's cosine_similarity uses it: max(‖x‖, eps), its clamp
 * applied in place without autograd, so below eps the value is eps and the gradient x / eps.
 */
function clampedNorm(x: Tensor, dim: number, eps: number): Tensor {
  const n = norm(x, 2, dim, true);
  const squares = sum(x.mul(x), dim, true);
  // eps + (s − s)/(2·eps): the value eps, the gradient 2x/(2·eps).
  const below = squares.sub(squares.detach()).div(2 * eps).add(eps);
  return where(noGrad(() => lt(n, eps)), below, n);
}

/**
 * Σ (a/‖a‖)·(b/‖b‖) along `dim`, each norm at least eps (like torch.nn.functional.cosine_similarity
 * in PyTorch 1.13, which divides each vector by its norm first); a and b broadcast together.
 */
export function cosineSimilarity(a: Tensor, b: Tensor, dim = 1, eps = 1e-8): Tensor {
  checkTensor('cosineSimilarity', 'a', a);
  checkTensor('cosineSimilarity', 'b', b);
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`cosineSimilarity: eps must be a number > 0, got ${describe(eps)}`);
  const shape = broadcastShapes('cosineSimilarity', a.shape, b.shape);
  const d = normalizeDim('cosineSimilarity', dim, shape.length);
  return tidy(() => {
    const [x1, x2] = [expand(a, shape), expand(b, shape)];
    return sum(x1.div(clampedNorm(x1, d, eps)).mul(x2.div(clampedNorm(x2, d, eps))), d);
  });
}

/**
 * Euclidean distances between the rows of a [..., P, M] and b [..., R, M]: [..., P, R], batch
 * dims broadcast (like torch.cdist with p = 2, in its default compute mode): from the differences
 * when P and R are at most 25, else as √max(‖a‖² + ‖b‖² − 2·a·bᵀ, 0) with one matmul, where in
 * float32 a distance of 0 may come out as a small positive number. The gradient is 0, not NaN,
 * where a distance is 0.
 */
export function cdist(a: Tensor, b: Tensor, p = 2): Tensor {
  checkTensor('cdist', 'a', a);
  checkTensor('cdist', 'b', b);
  if (p !== 2) throw new Error(`cdist: only p = 2 (Euclidean) is supported, got ${describe(p)}`);
  if (a.ndim < 2 || b.ndim < 2 || a.shape[a.ndim - 1] !== b.shape[b.ndim - 1]) {
    throw new Error(`cdist: expects a [..., P, M] and b [..., R, M] with the same M, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  broadcastShapes('cdist (batch dims)', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return tidy(() => {
    if (a.shape[a.ndim - 2] <= 25 && b.shape[b.ndim - 2] <= 25) return zeroSafeRoot(sum(a.unsqueeze(-2).sub(b.unsqueeze(-3)).square(), -1), 2);
    const aa = sum(a.mul(a), -1, true);
    const bb = sum(b.mul(b), -1, true).transpose(-1, -2);
    const squared = clampMin(aa.add(bb).sub(a.matmul(b.transpose(-1, -2)).mul(2)), 0);
    return zeroSafeRoot(squared, 2);
  });
}
