// batchNorm and layerNorm (torch.nn.functional.batch_norm / layer_norm), composed of tensor ops so
// that they are differentiable to any order: x̂ = (x − mean) / √(var + eps) with the biased variance,
// then y = x̂ · weight + bias. (A fused kernel can replace the composition later without changing this API.)
import { noGrad } from '../autograd/node.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { tidy } from '../memory.js';
import { formatShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assign } from './module.js';

/** The mean and biased variance over `dims` (kept), x − mean and 1/√(variance + eps). */
function moments(x: Tensor, dims: readonly number[], eps: number): { centred: Tensor; inverseStd: Tensor; mean: Tensor; variance: Tensor } {
  const mean = x.mean(dims, true);
  const centred = x.sub(mean);
  const variance = centred.square().mean(dims, true);
  return { centred, inverseStd: variance.add(eps).rsqrt(), mean, variance };
}

/**
 * Batch norm's (x − mean)/σ · weight + bias, 1/σ and weight both per channel: their product is made
 * first, so one full-size product, not a quotient and a product (with twice the passes backward).
 */
function scaled(centred: Tensor, inverseStd: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined, shape: readonly number[]): Tensor {
  const y = centred.mul(weight ? inverseStd.mul(weight.reshape(shape)) : inverseStd);
  return bias ? y.add(bias.reshape(shape)) : y;
}

/** Layer norm's x̂ · weight + bias, each optional, reshaped to `shape` to broadcast (1/σ is per row, weight per feature). */
function affine(normalized: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined, shape: readonly number[]): Tensor {
  const y = weight ? normalized.mul(weight.reshape(shape)) : normalized;
  return bias ? y.add(bias.reshape(shape)) : y;
}

function checkEps(op: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0)) throw new Error(`${op}: eps must be a number ≥ 0, got ${describe(eps)}`);
  return eps;
}

/** Checks that an optional per-feature tensor has `shape`. */
function checkPerFeature(op: string, what: string, t: Tensor | null | undefined, shape: readonly number[], x: Tensor): void {
  if (t === null || t === undefined) return;
  checkTensor(op, what, t);
  if (t.shape.join() !== shape.join()) throw new Error(`${op}: ${what} ${formatShape(t.shape)} must be ${formatShape(shape)} for input ${formatShape(x.shape)}`);
}

export interface BatchNormOptions {
  /** Batch statistics (and running-statistics updates) when true; the running statistics when false (the default, as PyTorch). */
  training?: boolean;
  /** running = (1 − momentum) · running + momentum · batch statistic. */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over the channel dim 1 of x [N, C, ...] (torch.nn.functional.batch_norm).
 * Training: normalises with the batch mean and biased variance over every dim but 1, and, when
 * given, updates runningMean and runningVar [C] in place with the batch mean and the UNBIASED batch
 * variance (as PyTorch). Eval: normalises with runningMean and runningVar. Null running statistics
 * need training: true (batch statistics only, the transductive BN of MAML).
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: BatchNormOptions,
): Tensor {
  const { training = false, momentum = 0.1, eps = 1e-5 } = checkOptions('batchNorm', options, ['training', 'momentum', 'eps']);
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm: momentum must be a number in [0, 1], got ${describe(momentum)}`);
  return batchNormWith(x, runningMean, runningVar, weight, bias, training, momentum, eps);
}

/**
 * @internal batchNorm with the running-statistics factor as a number or a 0-d tensor (BatchNorm's
 * cumulative average, momentum null, uses 1 / num_batches_tracked, which lives on the device).
 * With `tasks` (a batched learner's T), x is [T, N, C, ...], weight and bias [T, C], and each task
 * has its own batch statistics.
 */
export function batchNormWith(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null | undefined,
  bias: Tensor | null | undefined,
  training: boolean,
  factor: number | Tensor,
  eps: number,
  tasks: number | null = null,
): Tensor {
  const op = 'batchNorm';
  checkTensor(op, 'input', x);
  // A batched learner's x is [T, N, C, ...] with weight and bias [T, C]: statistics per task and channel.
  const channel = tasks === null ? 1 : 2;
  if (x.ndim < channel + 1) throw new Error(`${op}: input ${formatShape(x.shape)} must be [N, C, ...] (at least 2 dims); add a batch dim with reshape([1, ...shape])`);
  const channels = [x.shape[channel]];
  const kept = tasks === null ? [1] : [0, 2];
  for (const [what, t] of [['runningMean', runningMean], ['runningVar', runningVar]] as const) checkPerFeature(op, what, t, channels, x);
  for (const [what, t] of [['weight', weight], ['bias', bias]] as const) checkPerFeature(op, what, t, kept.map((d) => x.shape[d]), x);
  if ((runningMean === null) !== (runningVar === null)) throw new Error(`${op}: give both runningMean and runningVar, or neither`);
  if (!training && !runningMean) throw new Error(`${op}: eval mode (training: false) normalises with runningMean and runningVar, which are null; pass training: true to use batch statistics`);
  checkEps(op, eps);
  const dims = x.shape.map((_, i) => i).filter((i) => !kept.includes(i));
  const shape = x.shape.map((s, i) => (kept.includes(i) ? s : 1));
  const runningShape = x.shape.map((s, i) => (i === channel ? s : 1));
  const count = sizeOf(dims.map((d) => x.shape[d]));
  if (training && count <= 1) throw new Error(`${op}: training needs more than 1 value per channel to compute a variance, got input ${formatShape(x.shape)}`);
  return tidy(() => {
    if (!training) return scaled(x.sub(runningMean!.reshape(runningShape)), runningVar!.reshape(runningShape).add(eps).rsqrt(), weight, bias, shape);
    const { centred, inverseStd, mean, variance } = moments(x, dims, eps);
    if (runningMean && runningVar) {
      noGrad(() => {
        const keep = typeof factor === 'number' ? 1 - factor : factor.neg().add(1);
        const update = (running: Tensor, batch: Tensor) => assign(running, running.mul(keep).add(batch.detach().reshape(channels).mul(factor)));
        update(runningMean, mean);
        update(runningVar, variance.mul(count / (count - 1)));
      });
    }
    return scaled(centred, inverseStd, weight, bias, shape);
  });
}

/**
 * Layer normalisation over the trailing dims `normalizedShape` of x (torch.nn.functional.layer_norm),
 * with the biased variance; weight and bias, when given, have shape normalizedShape.
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  checkTensor(op, 'input', x);
  const normalized = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(normalized) || normalized.length === 0 || !normalized.every((s) => Number.isInteger(s) && s > 0)) {
    throw new Error(`${op}: normalizedShape must be a positive integer or a non-empty array of them, got ${describe(normalizedShape)}`);
  }
  const lead = x.ndim - normalized.length;
  if (lead < 0 || normalized.some((s, i) => x.shape[lead + i] !== s)) {
    throw new Error(`${op}: input ${formatShape(x.shape)} must end with normalizedShape ${formatShape(normalized)}`);
  }
  checkPerFeature(op, 'weight', weight, normalized, x);
  checkPerFeature(op, 'bias', bias, normalized, x);
  checkEps(op, eps);
  const dims = normalized.map((_, i) => lead + i);
  return tidy(() => {
    const { centred, inverseStd } = moments(x, dims, eps);
    return affine(centred.mul(inverseStd), weight, bias, normalized);
  });
}
