// nn.functional: the stateless forms of layers, activations and losses.
import { checkChoice, checkOptions, checkTensor, describe } from '../check.js';
import { rand } from '../creation.js';
import { tidy } from '../memory.js';
import * as ops from '../ops/index.js';
import { bceWithLogits, crossEntropyWithProbabilities, eq, gather, ge, linear, scaledSum, scatterAdd, squaredError } from '../ops/index.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputAndTarget, checkReduction, checkSameShape, reduce, type Reduction } from './reduction.js';

export { linear };
export type { Reduction };
export { batchNorm, layerNorm, type BatchNormOptions } from './normalization.js';
export {
  l1Loss, nllLoss, binaryCrossEntropy, smoothL1Loss, huberLoss, klDiv, cosineEmbeddingLoss, contrastiveLoss,
  type LossOptions, type NllOptions, type BinaryCrossEntropyOptions, type SmoothL1Options, type HuberOptions, type KlDivOptions, type MarginOptions,
} from './losses.js';
export { adaptiveAvgPool2d, avgPool2d, conv2d, maxPool2d, maxPool2dWithIndices, type AvgPool2dOptions, type Conv2dOptions, type MaxPool2dOptions } from '../ops/index.js';

export const relu = (x: Tensor): Tensor => x.relu();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const tanh = (x: Tensor): Tensor => x.tanh();
export const softmax = (x: Tensor, dim: number): Tensor => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => x.logSoftmax(dim);

/** x for x > 0, else negativeSlope·x (torch.nn.functional.leaky_relu). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkTensor('leakyRelu', 'input', x);
  return ops.leakyRelu(x, finite('leakyRelu', 'negativeSlope', negativeSlope));
}

/** x for x > 0, else alpha·(eˣ − 1) (torch.nn.functional.elu). */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkTensor('elu', 'input', x);
  return ops.elu(x, finite('elu', 'alpha', alpha));
}

export interface SoftplusOptions {
  /** softplus(βx)/β (default 1). */
  beta?: number;
  /** Above it, βx is returned as is, as PyTorch does (default 20). */
  threshold?: number;
}

/** log(1 + e^(βx))/β, linear where βx > threshold (torch.nn.functional.softplus). */
export function softplus(x: Tensor, options?: SoftplusOptions): Tensor {
  checkTensor('softplus', 'input', x);
  const { beta = 1, threshold = 20 } = checkOptions('softplus', options, ['beta', 'threshold']);
  finite('softplus', 'beta', beta);
  finite('softplus', 'threshold', threshold);
  if (beta === 0) throw new Error('softplus: beta must be non-zero, got 0');
  return tidy(() => {
    const bx = beta === 1 ? x : x.mul(beta);
    const smooth = beta === 1 ? bx.softplus() : bx.softplus().div(beta);
    return ops.where(bx.gt(threshold), x, smooth);
  });
}

export interface GeluOptions {
  /** 'none' (default): x·Φ(x) with the exact normal CDF; 'tanh': PyTorch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/**
 * GELU (torch.nn.functional.gelu): x·Φ(x), Φ(x) = ½·(1 + erf(x/√2)), one kernel; or with
 * approximate 'tanh', ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), composed.
 */
export function gelu(x: Tensor, options?: GeluOptions): Tensor {
  checkTensor('gelu', 'input', x);
  const { approximate = 'none' } = checkOptions('gelu', options, ['approximate']);
  checkChoice('gelu', 'approximate', approximate, ['none', 'tanh']);
  if (approximate === 'none') return ops.gelu(x);
  return tidy(() => x.mul(x.mul(x).mul(0.044715).add(1).mul(x).mul(Math.sqrt(2 / Math.PI)).tanh().add(1)).mul(0.5));
}

function finite(op: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${op}: ${what} must be a finite number, got ${describe(value)}`);
  return value;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1 − p) while training
 * (torch.nn.functional.dropout); the identity when training is false. The mask comes from the
 * seeded generator (manualSeed), so one seed gives one mask on every backend.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkTensor('dropout', 'input', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`dropout: p must be a probability in [0, 1], got ${describe(p)}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  return tidy(() => x.mul(ge(rand(x.shape, { device: x.device }), p).mul(1 / (1 - p))));
}

/**
 * The rows of `weight` [num, dim] at `indices` (any shape, float tensors holding integers), giving
 * [...indices.shape, dim] (torch.nn.functional.embedding). The row paddingIdx (negative counts from
 * the end) gets no gradient. An index outside [0, num) reads NaN.
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
  checkTensor('embedding', 'indices', indices);
  checkTensor('embedding', 'weight', weight);
  if (weight.ndim !== 2) throw new Error(`embedding: weight ${formatShape(weight.shape)} must be [num embeddings, dim]`);
  const pad = paddingIdx ?? null;
  if (pad !== null && !(Number.isInteger(pad) && pad >= -weight.shape[0] && pad < weight.shape[0])) {
    throw new Error(`embedding: paddingIdx must be an integer in [${-weight.shape[0]}, ${weight.shape[0]}), got ${describe(paddingIdx)}`);
  }
  return tidy(() => {
    const flat = indices.detach().reshape([-1]);
    const rows = weight.indexSelect(0, flat);
    if (pad === null) return rows.reshape([...indices.shape, weight.shape[1]]);
    // The padding rows keep their value but pass no gradient: value · 0 + detached value.
    const padded = eq(flat, pad < 0 ? pad + weight.shape[0] : pad).reshape([-1, 1]);
    const mixed = rows.mul(padded.neg().add(1)).add(rows.detach().mul(padded));
    return mixed.reshape([...indices.shape, weight.shape[1]]);
  });
}

export interface MseOptions {
  reduction?: Reduction;
}

/** Mean squared error (torch.nn.functional.mse_loss), with shapes that must match exactly. */
export function mseLoss(input: Tensor, target: Tensor, { reduction = 'mean' }: MseOptions = {}): Tensor {
  checkSameShape('mseLoss', input, target);
  checkReduction(reduction, 'mseLoss');
  if (reduction === 'none') return tidy(() => input.sub(target).pow(2));
  return squaredError(input, target, reduction === 'mean' ? 1 / input.size : 1);
}

export interface BceOptions {
  reduction?: Reduction;
}

/** Binary cross-entropy on logits, numerically stable (torch's binary_cross_entropy_with_logits). */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, { reduction = 'mean' }: BceOptions = {}): Tensor {
  checkSameShape('binaryCrossEntropyWithLogits', input, target);
  return tidy(() => reduce(bceWithLogits(input, target), reduction, 'binaryCrossEntropyWithLogits'));
}

export interface CrossEntropyOptions {
  reduction?: Reduction;
  /** ε in [0, 1]: the target becomes (1 − ε)·target + ε / C. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [N, C] (or [C]) against class indices [N] (float tensors holding
 * integers) or class probabilities [N, C] (torch.nn.functional.cross_entropy).
 */
export function crossEntropy(input: Tensor, target: Tensor, { reduction = 'mean', labelSmoothing = 0 }: CrossEntropyOptions = {}): Tensor {
  checkInputAndTarget('crossEntropy', input, target);
  if (input.ndim < 1 || input.ndim > 2) throw new Error(`crossEntropy: input must be [N, C] or [C] logits, got ${formatShape(input.shape)}`);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  const classes = input.shape[input.ndim - 1];
  const byIndex = target.ndim === input.ndim - 1 && target.shape.every((s, i) => s === input.shape[i]);
  if (!byIndex && target.shape.join() !== input.shape.join()) {
    throw new Error(
      `crossEntropy: target ${formatShape(target.shape)} fits neither class indices ${formatShape(input.shape.slice(0, -1))} nor class probabilities ${formatShape(input.shape)} for input ${formatShape(input.shape)}`,
    );
  }
  checkReduction(reduction, 'crossEntropy');
  if (byIndex && labelSmoothing === 0) return tidy(() => crossEntropyByIndex(input, target, reduction));
  return tidy(() => {
    const probabilities = byIndex ? oneHot(target, classes) : target;
    const smoothed = labelSmoothing > 0 ? probabilities.mul(1 - labelSmoothing).add(labelSmoothing / classes) : probabilities;
    const perRow = crossEntropyWithProbabilities(input, smoothed);
    // A class index outside [0, C) leaves its one-hot row empty: 0/0 makes that row's loss NaN
    // (a GPU kernel cannot throw, and a silent zero loss would be a wrong answer).
    const loss = byIndex ? perRow.div(probabilities.sum(-1)) : perRow;
    return reduce(loss, reduction, 'crossEntropy');
  });
}

/**
 * −logSoftmax(x)[i, target_i], picked by gather: three launches forward (logSoftmax, gather, one
 * scaled sum) instead of a one-hot product. An index that is not an integer in [0, C) reads NaN, so
 * its row's loss is NaN (a GPU kernel cannot throw, and a silent zero would be a wrong answer).
 */
function crossEntropyByIndex(input: Tensor, target: Tensor, reduction: Reduction): Tensor {
  const column = target.detach().reshape([...target.shape, 1]);
  const picked = gather(input.logSoftmax(-1), -1, column).reshape(target.shape);
  if (reduction === 'none') return picked.neg();
  return scaledSum(picked, reduction === 'mean' ? -1 / target.size : -1);
}

/** [..., C] with 1 at each index's class; an index outside [0, C) gives an all-zero row. */
function oneHot(index: Tensor, classes: number): Tensor {
  const column = index.detach().reshape([...index.shape, 1]);
  return scatterAdd([...index.shape, classes], index.ndim, column, column.onesLike());
}
