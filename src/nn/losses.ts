// The losses beyond mse/crossEntropy/bce-with-logits, as torch.nn.functional has them, composed of
// tensor ops (so each is differentiable to any order where the formula is smooth). Class indices
// are float tensors holding integers.
import { checkOptions, checkTensor, describe } from '../check.js';
import { tidy } from '../memory.js';
import { eq, gather } from '../ops/index.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkReduction, checkSameShape, reduce, type Reduction } from './reduction.js';

export interface LossOptions {
  reduction?: Reduction;
}

function checkNumber(op: string, what: string, value: unknown, ok: (v: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || !ok(value)) throw new Error(`${op}: ${what} must be ${expected}, got ${describe(value)}`);
  return value;
}

/** min(x, bound) for a number bound, from maximum (ties share the gradient, as torch.minimum). */
const minimum = (x: Tensor, bound: number): Tensor => x.neg().maximum(-bound).neg();

/** 1 where t == value, else 0 (no gradient). */

/** Mean absolute error |x − y| (torch.nn.functional.l1_loss). */
export function l1Loss(input: Tensor, target: Tensor, options?: LossOptions): Tensor {
  const { reduction = 'mean' } = checkOptions('l1Loss', options, ['reduction']);
  checkSameShape('l1Loss', input, target);
  return tidy(() => reduce(input.sub(target).abs(), reduction, 'l1Loss'));
}

export interface NllOptions extends LossOptions {
  /** A rescaling weight per class [C]. */
  weight?: Tensor | null;
  /** Targets equal to it count for nothing, not even in the mean's denominator (default −100). */
  ignoreIndex?: number;
}

/**
 * Negative log-likelihood of log-probabilities `input` [N, C, d…] (or [C]) at the class indices
 * `target` [N, d…] (or [], float tensors holding integers) (torch.nn.functional.nll_loss):
 * loss_i = −weight[t_i] · input[i, t_i]; 'mean' divides the sum by Σ weight[t_i] over the targets not
 * ignored. An index outside [0, C) that is not ignoreIndex reads NaN, so the loss is NaN.
 */
export function nllLoss(input: Tensor, target: Tensor, options?: NllOptions): Tensor {
  const op = 'nllLoss';
  const { reduction = 'mean', weight = null, ignoreIndex = -100 } = checkOptions(op, options, ['reduction', 'weight', 'ignoreIndex']);
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  checkReduction(reduction, op);
  const classDim = input.ndim === 1 ? 0 : 1;
  const expected = input.shape.filter((_, i) => i !== classDim);
  if (input.ndim === 0 || target.shape.join() !== expected.join()) {
    throw new Error(`${op}: target ${formatShape(target.shape)} must be the class indices ${formatShape(expected)} of input ${formatShape(input.shape)} ([N, C, d…] or [C] log-probabilities)`);
  }
  const classes = input.shape[classDim];
  if (weight !== null) {
    checkTensor(op, 'weight', weight);
    if (weight.shape.join() !== String(classes)) throw new Error(`${op}: weight ${formatShape(weight.shape)} must be [${classes}], one per class`);
  }
  checkNumber(op, 'ignoreIndex', ignoreIndex, Number.isInteger, 'an integer');
  return tidy(() => {
    const kept = eq(target, ignoreIndex).neg().add(1);
    const index = target.detach().mul(kept); // an ignored target picks class 0, weighted 0
    const column = index.reshape(input.shape.map((s, i) => (i === classDim ? 1 : s)));
    const picked = gather(input, classDim, column).reshape(target.shape);
    const perTarget = weight ? weight.indexSelect(0, index.reshape([-1])).reshape(target.shape).mul(kept) : kept;
    const loss = picked.mul(perTarget).neg();
    if (reduction === 'none') return loss;
    return reduction === 'sum' ? loss.sum() : loss.sum().div(perTarget.sum());
  });
}

export interface BinaryCrossEntropyOptions extends LossOptions {
  /** A rescaling weight, broadcast against the input. */
  weight?: Tensor | null;
}

/**
 * Binary cross-entropy of probabilities `input` in [0, 1] against `target`
 * (torch.nn.functional.binary_cross_entropy): −w·(y·log x + (1 − y)·log(1 − x)), each log clamped at
 * −100 as PyTorch does, so x = 0 or 1 gives a finite loss (where the clamp bites the gradient is 0).
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options?: BinaryCrossEntropyOptions): Tensor {
  const op = 'binaryCrossEntropy';
  const { reduction = 'mean', weight = null } = checkOptions(op, options, ['reduction', 'weight']);
  checkSameShape(op, input, target);
  if (weight !== null) checkTensor(op, 'weight', weight);
  return tidy(() => {
    const logP = input.log().maximum(-100);
    const log1mP = input.neg().add(1).log().maximum(-100);
    const loss = target.mul(logP).add(target.neg().add(1).mul(log1mP)).neg();
    return reduce(weight ? loss.mul(weight) : loss, reduction, op);
  });
}

/** 0.5·c² + delta·(|d| − c) with c = min(|d|, delta): Huber's loss, one formula for both branches. */
function huber(d: Tensor, delta: number): Tensor {
  const magnitude = d.abs();
  const c = minimum(magnitude, delta);
  return c.mul(c).mul(0.5).add(magnitude.sub(c).mul(delta));
}

export interface SmoothL1Options extends LossOptions {
  /** Where the quadratic part ends (default 1); 0 gives the L1 loss. */
  beta?: number;
}

/**
 * Smooth L1 (torch.nn.functional.smooth_l1_loss): 0.5·d²/beta where |d| < beta, |d| − 0.5·beta
 * elsewhere, d = input − target. Equals huberLoss / beta.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options?: SmoothL1Options): Tensor {
  const op = 'smoothL1Loss';
  const { reduction = 'mean', beta = 1 } = checkOptions(op, options, ['reduction', 'beta']);
  checkSameShape(op, input, target);
  checkNumber(op, 'beta', beta, (b) => b >= 0 && Number.isFinite(b), 'a finite number ≥ 0');
  return tidy(() => {
    const d = input.sub(target);
    return reduce(beta === 0 ? d.abs() : huber(d, beta).div(beta), reduction, op);
  });
}

export interface HuberOptions extends LossOptions {
  /** Where the quadratic part ends (default 1), > 0. */
  delta?: number;
}

/** Huber loss (torch.nn.functional.huber_loss): 0.5·d² where |d| < delta, delta·(|d| − 0.5·delta) elsewhere. */
export function huberLoss(input: Tensor, target: Tensor, options?: HuberOptions): Tensor {
  const op = 'huberLoss';
  const { reduction = 'mean', delta = 1 } = checkOptions(op, options, ['reduction', 'delta']);
  checkSameShape(op, input, target);
  checkNumber(op, 'delta', delta, (d) => d > 0 && Number.isFinite(d), 'a finite number > 0');
  return tidy(() => reduce(huber(input.sub(target), delta), reduction, op));
}

export interface KlDivOptions {
  /** 'batchmean' (the sum over the batch size input.shape[0], the true KL divergence per sample), 'sum', 'none', or 'mean' (over every element, PyTorch's default). */
  reduction?: Reduction | 'batchmean';
  /** The target holds log-probabilities too. */
  logTarget?: boolean;
}

/**
 * Kullback–Leibler divergence of log-probabilities `input` from `target` (torch.nn.functional.kl_div):
 * pointwise target·(log target − input), 0 where target = 0; with logTarget, exp(target)·(target − input).
 */
export function klDiv(input: Tensor, target: Tensor, options?: KlDivOptions): Tensor {
  const op = 'klDiv';
  const { reduction = 'mean', logTarget = false } = checkOptions(op, options, ['reduction', 'logTarget']);
  checkSameShape(op, input, target);
  if (reduction !== 'batchmean') checkReduction(reduction, op);
  if (reduction === 'batchmean' && input.ndim === 0) throw new Error(`${op}: reduction 'batchmean' divides by the batch size input.shape[0], but the input is 0-d; use 'sum'`);
  return tidy(() => {
    // xlogy(t, t): log's argument becomes 1 where t = 0, so 0·log 0 counts as 0.
    const pointwise = logTarget ? target.exp().mul(target.sub(input)) : target.mul(target.add(eq(target, 0)).log().sub(input));
    return reduction === 'batchmean' ? pointwise.sum().div(input.shape[0]) : reduce(pointwise, reduction, op);
  });
}

export interface MarginOptions extends LossOptions {
  margin?: number;
}

/**
 * Cosine embedding loss (torch.nn.functional.cosine_embedding_loss) of x1, x2 [N, D] (or [D]) with
 * y [N] (or []) of 1 (similar) and −1 (dissimilar): 1 − cos where y = 1, max(0, cos − margin) where
 * y = −1, cos = x1·x2 / √((|x1|² + 1e-12)(|x2|² + 1e-12)). Other values of y give 0, as in PyTorch.
 */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, y: Tensor, options?: MarginOptions): Tensor {
  const op = 'cosineEmbeddingLoss';
  const { reduction = 'mean', margin = 0 } = checkOptions(op, options, ['reduction', 'margin']);
  checkTensor(op, 'x1', x1);
  checkTensor(op, 'x2', x2);
  checkTensor(op, 'y', y);
  if (x1.shape.join() !== x2.shape.join() || (x1.ndim !== 1 && x1.ndim !== 2) || y.shape.join() !== x1.shape.slice(0, -1).join()) {
    throw new Error(`${op}: x1 ${formatShape(x1.shape)} and x2 ${formatShape(x2.shape)} must both be [N, D] (or [D]) and y ${formatShape(y.shape)} must be [N] (or [])`);
  }
  checkNumber(op, 'margin', margin, Number.isFinite, 'a finite number');
  checkReduction(reduction, op);
  return tidy(() => {
    const dim = x1.ndim - 1;
    const squared = (t: Tensor) => t.mul(t).sum(dim).add(1e-12);
    const cos = x1.mul(x2).sum(dim).div(squared(x1).mul(squared(x2)).sqrt());
    const similar = cos.neg().add(1).mul(eq(y, 1));
    const dissimilar = cos.sub(margin).relu().mul(eq(y, -1));
    return reduce(similar.add(dissimilar), reduction, op);
  });
}

/**
 * The contrastive loss of Hadsell, Chopra and LeCun (2006), "Dimensionality Reduction by Learning an
 * Invariant Mapping", for Siamese networks: with D the Euclidean distance between the two embeddings
 * and Y = 0 for a similar pair, Y = 1 for a dissimilar one (the paper's convention),
 *   L = (1 − Y) · ½ · D²  +  Y · ½ · max(0, margin − D)²
 * Similar pairs are pulled together; dissimilar ones pushed apart until they are margin away.
 * Call it with the distances, contrastiveLoss(d [N], label [N], options), or with the embeddings,
 * contrastiveLoss(x1 [N, D], x2 [N, D], label [N], options), which computes D = ‖x1 − x2 + 1e-6‖₂
 * along the last dim (torch's pairwise_distance; the 1e-6 keeps the gradient finite for equal embeddings).
 */
export function contrastiveLoss(distance: Tensor, label: Tensor, options?: MarginOptions): Tensor;
export function contrastiveLoss(x1: Tensor, x2: Tensor, label: Tensor, options?: MarginOptions): Tensor;
export function contrastiveLoss(a: Tensor, b: Tensor, c?: Tensor | MarginOptions, d?: MarginOptions): Tensor {
  const op = 'contrastiveLoss';
  const embeddings = c instanceof Tensor;
  const options = checkOptions(op, embeddings ? d : (c as MarginOptions | undefined), ['reduction', 'margin']);
  const { reduction = 'mean', margin = 1 } = options;
  checkTensor(op, embeddings ? 'x1' : 'distance', a);
  checkTensor(op, embeddings ? 'x2' : 'label', b);
  const label = embeddings ? checkTensor(op, 'label', c) : b;
  if (embeddings && (a.shape.join() !== b.shape.join() || a.ndim < 1)) throw new Error(`${op}: x1 ${formatShape(a.shape)} and x2 ${formatShape(b.shape)} must be embeddings of one shape [N, D]`);
  const distanceShape = embeddings ? a.shape.slice(0, -1) : a.shape;
  if (label.shape.join() !== distanceShape.join()) throw new Error(`${op}: label ${formatShape(label.shape)} must be ${formatShape(distanceShape)}, one 0 (similar) or 1 (dissimilar) per pair`);
  checkNumber(op, 'margin', margin, (m) => m >= 0 && Number.isFinite(m), 'a finite number ≥ 0');
  checkReduction(reduction, op);
  return tidy(() => {
    const distance = embeddings ? a.sub(b).add(1e-6).pow(2).sum(-1).sqrt() : a;
    const pull = distance.mul(distance).mul(label.neg().add(1));
    const gap = distance.neg().add(margin).relu();
    const push = gap.mul(gap).mul(label);
    return reduce(pull.add(push).mul(0.5), reduction, op);
  });
}
