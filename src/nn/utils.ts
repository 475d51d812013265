// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), composed of tensor ops on
// the gradients' device with no readback. Tensors are immutable, so each parameter's .grad is
// replaced by its clipped copy and the old gradient disposed (PyTorch scales it in place).
import { noGrad } from '../autograd/node.js';
import { checkTensor, describe } from '../check.js';
import { full } from '../creation.js';
import { keep, tidy } from '../memory.js';
import { cat } from '../ops/index.js';
import type { Tensor } from '../tensor.js';

export interface ClipGradNormOptions {
  /** Throw if the total norm is NaN or infinite, before any gradient is changed (needs a readback: the call returns a Promise). */
  errorIfNonfinite?: boolean;
}

/** The parameters of `params` that have a gradient, all of them on one device. */
function withGrads(where: string, params: Tensor | readonly Tensor[]): Tensor[] {
  const list = Array.isArray(params) ? params : [params];
  list.forEach((p, i) => checkTensor(where, `params[${i}]`, p, 'pass model.parameters()'));
  const having = (list as Tensor[]).filter((p) => p.grad !== null);
  const devices = [...new Set(having.map((p) => p.grad!.device))];
  if (devices.length > 1) throw new Error(`${where}: the gradients are on ${devices.join(' and ')}; clip each device's parameters in a call of its own`);
  return having;
}

function checkNumber(where: string, what: string, value: unknown, ok: boolean, expected: string): void {
  if (typeof value !== 'number' || !ok) throw new Error(`${where}: ${what} must be ${expected}, got ${describe(value)}`);
}

/** Replaces each parameter's gradient by fn(gradient), under noGrad, the intermediates disposed. */
function replaceGrads(params: readonly Tensor[], fn: (g: Tensor) => Tensor): void {
  tidy(() =>
    noGrad(() => {
      for (const p of params) {
        const old = p.grad!;
        p.grad = keep(fn(old));
        old.dispose();
      }
    }),
  );
}

/** The normType-norm of all the gradients together, as a 0-d tensor on their device. */
function totalNorm(grads: readonly Tensor[], normType: number): Tensor {
  return tidy(() =>
    noGrad(() => {
      const joined = (parts: Tensor[]) => cat(parts.map((t) => t.reshape([1])));
      if (normType === Infinity) return joined(grads.map((g) => g.abs().max())).max();
      const powered = grads.map((g) => (normType === 2 ? g.mul(g) : g.abs().pow(normType)).sum());
      return joined(powered).sum().pow(1 / normType);
    }),
  );
}

/**
 * Scales the gradients of `params` together so that their total normType-norm (the norm of the
 * vector of all their elements; Infinity: the largest magnitude) is at most maxNorm: each is
 * multiplied by min(1, maxNorm / (norm + 1e-6)). Returns the total norm before clipping as a 0-d
 * tensor (read it with await norm.item()); with no gradients, a zero on params[0]'s device.
 */
export function clipGradNorm(params: Tensor | readonly Tensor[], maxNorm: number, normType?: number, options?: ClipGradNormOptions & { errorIfNonfinite?: false }): Tensor;
export function clipGradNorm(params: Tensor | readonly Tensor[], maxNorm: number, normType: number, options: ClipGradNormOptions & { errorIfNonfinite: true }): Promise<Tensor>;
export function clipGradNorm(params: Tensor | readonly Tensor[], maxNorm: number, normType: number, options: ClipGradNormOptions): Tensor | Promise<Tensor>;
export function clipGradNorm(params: Tensor | readonly Tensor[], maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): Tensor | Promise<Tensor> {
  const where = 'clipGradNorm';
  checkNumber(where, 'maxNorm', maxNorm, maxNorm >= 0, 'a number ≥ 0');
  checkNumber(where, 'normType', normType, normType > 0, 'a number > 0 or Infinity');
  const withGrad = withGrads(where, params);
  if (withGrad.length === 0) return full([], 0, { device: (Array.isArray(params) ? params[0] : params)?.device });
  const grads = withGrad.map((p) => p.grad!);
  const total = totalNorm(grads, normType);
  const clip = () => {
    const device = total.device;
    const coef = tidy(() => noGrad(() => full([], maxNorm, { device }).div(total.add(1e-6)).neg().maximum(-1).neg())); // min(·, 1)
    replaceGrads(withGrad, (g) => g.mul(coef));
    coef.dispose();
    return total;
  };
  if (!options.errorIfNonfinite) return clip();
  return total.item().then((norm) => {
    if (Number.isFinite(norm)) return clip();
    total.dispose();
    throw new Error(`${where}: the total norm of order ${normType} of the gradients is ${norm}, so they cannot be clipped; to scale them by it anyway, leave errorIfNonfinite off`);
  });
}

/** Clamps every gradient of `params` to [−clipValue, clipValue] (NaN stays NaN). */
export function clipGradValue(params: Tensor | readonly Tensor[], clipValue: number): void {
  const where = 'clipGradValue';
  checkNumber(where, 'clipValue', clipValue, clipValue >= 0, 'a number ≥ 0');
  replaceGrads(withGrads(where, params), (g) => g.maximum(-clipValue).neg().maximum(-clipValue).neg());
}
