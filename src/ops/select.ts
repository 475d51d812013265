// Choosing between values elementwise: where, clamp and oneHot. `where` stacks its two branches
// and gathers from them by the condition, so a NaN or ∞ in the branch not taken never reaches the
// result or the gradient (c·a + (1 − c)·b would turn it into NaN); clamp is built on it.
import { noGrad } from '../autograd/node.js';
import { checkTensor, describe, isTensor } from '../check.js';
import { tidy } from '../memory.js';
import { broadcastShapes, formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { maximum, neg } from './elementwise.js';
import { gather } from './indexing.js';
import { eq, ge, gt, isNan, le, lt, not, positions, scalar } from './masks.js';
import { stack, unsqueeze } from './dims.js';
import { expand, reshape } from './views.js';

function operand(op: string, what: string, value: unknown, device: Tensor['device']): Tensor {
  if (typeof value === 'number') return scalar(device, value);
  const t = checkTensor(op, what, value, 'pass a Tensor or a number');
  if (t.device !== device) throw new Error(`${op}: ${what} is on ${t.device} but the input is on ${device}; move it with await t.to('${device}')`);
  return t;
}

/**
 * condition ≠ 0 ? a : b elementwise, all three broadcast together (like torch.where; a NaN
 * condition counts as true, as in a Python `if`). a and b may be numbers. Differentiable in a
 * and b: each gets the gradient where it was chosen, zero elsewhere.
 */
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  checkTensor('where', 'condition', condition);
  const [ta, tb] = [operand('where', 'a', a, condition.device), operand('where', 'b', b, condition.device)];
  const shape = broadcastShapes('where', broadcastShapes('where', condition.shape, ta.shape), tb.shape);
  return tidy(() => {
    const pickB = noGrad(() => unsqueeze(expand(eq(condition, 0), shape), -1));
    return reshape(gather(stack([expand(ta, shape), expand(tb, shape)], -1), -1, pickB), shape);
  });
}

function bound(what: string, value: unknown, device: Tensor['device']): Tensor | number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new Error(`clamp: ${what} is NaN; pass a number (±Infinity for no bound) or omit it`);
    return value;
  }
  return operand('clamp', what, value, device);
}

/**
 * Clamps x into [min, max] (like torch.clamp): either bound may be omitted (null), a number or a
 * tensor broadcasting with x; with min > max the result is max. NaN in x (or in a tensor bound)
 * stays NaN. Gradients as PyTorch's: x gets its gradient where min ≤ x ≤ max (so 0 at NaN), a
 * tensor min where x < min < max, a tensor max where x > max or max < min.
 */
export function clamp(x: Tensor, min?: Tensor | number | null, max?: Tensor | number | null): Tensor {
  checkTensor('clamp', 'input', x);
  const [lo, hi] = [bound('min', min, x.device), bound('max', max, x.device)];
  if (lo === null && hi === null) throw new Error(`clamp: give min, max or both; both are omitted for ${formatShape(x.shape)}`);
  return tidy(() => {
    const masks = noGrad(() => {
      const low = lo === null ? x : maximum(x, lo);
      const value = hi === null ? low : neg(maximum(neg(low), typeof hi === 'number' ? -hi : neg(hi)));
      const real = not(isNan(value));
      const above = isTensor(hi) ? gt(x, hi) : null;
      const crossed = isTensor(hi) && lo !== null ? lt(hi, lo) : null;
      const aboveMin = lo === null ? null : ge(x, lo);
      const belowMax = hi === null ? null : le(x, hi);
      return {
        value,
        toMax: above && (crossed ? above.add(crossed).sub(above.mul(crossed)) : above).mul(real),
        toMin: isTensor(lo) ? (hi === null ? lt(x, lo) : lt(x, lo).mul(lt(lo, hi))).mul(real) : null,
        toX: aboveMin && belowMax ? aboveMin.mul(belowMax) : (aboveMin ?? belowMax)!,
      };
    });
    // Where no mask holds (NaN, or x below min = max) the detached value gives no gradient.
    let rest = masks.value;
    if (masks.toMax) rest = where(masks.toMax, hi as Tensor, rest);
    if (masks.toMin) rest = where(masks.toMin, lo as Tensor, rest);
    return where(masks.toX, x, rest);
  });
}

/** clamp(x, min): max(x, min) with PyTorch's gradient (1 where x ≥ min). */
export const clampMin = (x: Tensor, min: Tensor | number): Tensor => clamp(x, min, null);
/** clamp(x, null, max): min(x, max) with PyTorch's gradient (1 where x ≤ max). */
export const clampMax = (x: Tensor, max: Tensor | number): Tensor => clamp(x, null, max);

/**
 * One-hot rows (like torch.nn.functional.one_hot): [...indices.shape, numClasses] of float 0/1,
 * 1 at each index. Indices are float tensors holding integers; one outside 0 … numClasses − 1 (or
 * not an integer) gives an all-zero row, as checking would need a readback. Not differentiable.
 */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  checkTensor('oneHot', 'indices', indices);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`oneHot: numClasses must be a positive integer (it is not inferred: that would need a readback), got ${describe(numClasses)}`);
  }
  return tidy(() => noGrad(() => eq(unsqueeze(indices, -1), positions(indices.device, numClasses, indices.ndim, indices.ndim + 1))));
}
