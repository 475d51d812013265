// Statistics over dims, composed of differentiable ops (so second derivatives come for free):
// logsumexp (max-shifted), var/std (two-pass: mean, then squared deviations), norm (p-norms, with
// a zero-safe root) and cumsum (a log-step scan).
import { noGrad } from '../autograd/node.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { tidy } from '../memory.js';
import { normalizeDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { abs } from './elementwise.js';
import { eq, not, scalar } from './masks.js';
import { mean, normalizeDims, sum } from './reduce.js';
import { amax, amin } from './search.js';
import { where } from './select.js';
import { cat, narrow, reshape } from './views.js';

type Dims = number | readonly number[] | null | undefined;

const reducedShape = (x: Tensor, dims: readonly number[], keepdim: boolean): number[] =>
  keepdim ? x.shape.map((s, i) => (dims.includes(i) ? 1 : s)) : x.shape.filter((_, i) => !dims.includes(i));

/**
 * log Σ exp(x) over `dim` (a dim or an array of dims), stable for large |x| (like torch.logsumexp):
 * the max is shifted out first (0 where it is ±∞); an empty dim gives −∞. Its gradient is softmax.
 */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  checkTensor('logsumexp', 'input', x);
  if (dim === undefined || dim === null) throw new Error('logsumexp: dim is required (a dim or an array of dims), as in torch.logsumexp');
  const dims = normalizeDims('logsumexp', dim, x.ndim);
  return tidy(() => {
    if (sizeOf(dims.map((d) => x.shape[d])) === 0 || x.size === 0) return sum(x.exp(), dims, keepdim).log();
    const shift = noGrad(() => {
      const m = amax(x, dims, true);
      return where(eq(abs(m), Infinity), 0, m);
    });
    return reshape(sum(x.sub(shift).exp(), dims, true).log().add(shift), reducedShape(x, dims, keepdim));
  });
}

export interface VarOptions {
  /** Subtracted from the count in the divisor: 1 (default) is Bessel's unbiased estimate, 0 the population variance. */
  correction?: number;
  keepdim?: boolean;
}

function checkVar(op: string, x: Tensor, dim: Dims, options: VarOptions | undefined) {
  checkTensor(op, 'input', x);
  const { correction = 1, keepdim = false } = checkOptions(op, options, ['correction', 'keepdim']);
  if (!Number.isInteger(correction) || correction < 0) throw new Error(`${op}: correction must be a non-negative integer, got ${describe(correction)}`);
  if (typeof keepdim !== 'boolean') throw new Error(`${op}: keepdim must be true or false, got ${describe(keepdim)}`);
  return { dims: normalizeDims(op, dim, x.ndim), correction, keepdim };
}

function variance(op: string, x: Tensor, dim: Dims, options: VarOptions | undefined): Tensor {
  const { dims, correction, keepdim } = checkVar(op, x, dim, options);
  const n = sizeOf(dims.map((d) => x.shape[d]));
  if (n === 0) return sum(x, dims, keepdim).mul(NaN);
  const centered = x.sub(mean(x, dims, true));
  // PyTorch divides by max(0, n − correction): 0/0 = NaN when there are too few values.
  return sum(centered.mul(centered), dims, keepdim).div(Math.max(0, n - correction));
}

/** The variance over `dim` (all dims when omitted), Σ (x − mean)² / (n − correction), like torch.var. */
export const var_ = (x: Tensor, dim?: Dims, options?: VarOptions): Tensor => tidy(() => variance('var', x, dim, options));

/** The standard deviation, √var (like torch.std); its gradient is NaN where it is 0, as PyTorch's. */
export const std = (x: Tensor, dim?: Dims, options?: VarOptions): Tensor => tidy(() => variance('std', x, dim, options).sqrt());

/**
 * @internal s^(1/p) for sums s ≥ 0, with gradient 0 (not ∞·0) where s = 0: the root is taken of s + [s = 0]
 * and multiplied back by [s ≠ 0], both masks being finite.
 */
export function zeroSafeRoot(s: Tensor, p: number): Tensor {
  const zero = noGrad(() => eq(s, 0));
  const root = s.add(zero);
  return (p === 2 ? root.sqrt() : root.pow(1 / p)).mul(not(zero));
}

/**
 * The p-norm over `dim` (a dim, an array of dims, or all when omitted), like torch.norm /
 * torch.linalg.vector_norm: p = 2 (default), 1, ±Infinity (max/min of |x|) or any p > 0.
 * The gradient at a zero norm is 0 (PyTorch's subgradient), not NaN.
 */
export function norm(x: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor {
  checkTensor('norm', 'input', x);
  if (typeof p !== 'number' || !(p > 0 || p === -Infinity)) throw new Error(`norm: p must be a number > 0 or ±Infinity, got ${describe(p)}`);
  const dims = normalizeDims('norm', dim, x.ndim);
  return tidy(() => {
    if (p === Infinity) return amax(abs(x), dims, keepdim);
    if (p === -Infinity) return amin(abs(x), dims, keepdim);
    if (p === 1) return sum(abs(x), dims, keepdim);
    return zeroSafeRoot(sum(p === 2 ? x.mul(x) : abs(x).pow(p), dims, keepdim), p);
  });
}

/**
 * Running sums along `dim` (like torch.cumsum): out[i] = x[0] + … + x[i]. A Hillis–Steele scan:
 * ⌈log₂ n⌉ steps, each adding the running sums shifted by 2^k, so the gradient (the reversed
 * cumsum) comes out of the same ops and the cost stays O(n log n), not a matmul's O(n²).
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  checkTensor('cumsum', 'input', x);
  const d = normalizeDim('cumsum', dim, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  return tidy(() => {
    let y = x;
    for (let shift = 1; shift < n; shift *= 2) {
      const zeros = scalar(x.device, 0).expand(x.shape.map((s, i) => (i === d ? shift : s)));
      y = y.add(cat([zeros, narrow(y, d, 0, n - shift)], d));
    }
    return y === x ? reshape(x, x.shape) : y;
  });
}
