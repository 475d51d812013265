// nn.functional: the stateless forms of layers, activations and losses.
import { checkTensor } from '../check.js';
import { tidy } from '../memory.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { bceWithLogits, crossEntropyWithProbabilities, gather, linear, scaledSum, scatterAdd, squaredError } from '../ops/index.js';

export { linear };
export { adaptiveAvgPool2d, avgPool2d, conv2d, maxPool2d, maxPool2dWithIndices, type AvgPool2dOptions, type Conv2dOptions, type MaxPool2dOptions } from '../ops/index.js';

export type Reduction = 'mean' | 'sum' | 'none';

export const relu = (x: Tensor): Tensor => x.relu();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const tanh = (x: Tensor): Tensor => x.tanh();
export const softmax = (x: Tensor, dim: number): Tensor => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => x.logSoftmax(dim);

function checkReduction(reduction: Reduction, op: string): void {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
}

function reduce(loss: Tensor, reduction: Reduction, op: string): Tensor {
  checkReduction(reduction, op);
  return reduction === 'none' ? loss : reduction === 'sum' ? loss.sum() : loss.mean();
}

/**
 * Input and target must have the same shape. PyTorch broadcasts [N,1] against [N] to [N,N] (with a
 * warning), computing the wrong loss; webgrad refuses and says how to fix it.
 */
function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  checkInputAndTarget(op, input, target);
  if (input.shape.join() === target.shape.join()) return;
  const [a, b] = [formatShape(input.shape), formatShape(target.shape)];
  const column = input.ndim === target.ndim + 1 && input.shape[input.ndim - 1] === 1 && target.shape.every((s, i) => s === input.shape[i]);
  const hint = column
    ? ` Broadcasting them would compare every input with every target (${formatShape([...target.shape, ...target.shape.slice(-1)])}), the wrong loss. Keep the target's column: y.narrow(1, i, 1) (y[:, i:i+1] in PyTorch) instead of y[:, i], or reshape it to ${a}.`
    : ` Compute the loss on matching tensors, e.g. each task's output against its own target column y.narrow(1, i, 1).`;
  throw new Error(`${op}: input ${a} and target ${b} must have the same shape.${hint}`);
}

function checkInputAndTarget(op: string, input: unknown, target: unknown): void {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
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
