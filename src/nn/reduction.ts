// The reduction option of the losses and the input/target checks they share.
import { checkTensor } from '../check.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';

export function checkReduction(reduction: Reduction, op: string): void {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
}

export function reduce(loss: Tensor, reduction: Reduction, op: string): Tensor {
  checkReduction(reduction, op);
  return reduction === 'none' ? loss : reduction === 'sum' ? loss.sum() : loss.mean();
}

/**
 * Input and target must have the same shape. PyTorch broadcasts [N,1] against [N] to [N,N] (with a
 * warning), computing the wrong loss; webgrad refuses and says how to fix it.
 */
export function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  checkInputAndTarget(op, input, target);
  if (input.shape.join() === target.shape.join()) return;
  const [a, b] = [formatShape(input.shape), formatShape(target.shape)];
  const column = input.ndim === target.ndim + 1 && input.shape[input.ndim - 1] === 1 && target.shape.every((s, i) => s === input.shape[i]);
  const hint = column
    ? ` Broadcasting them would compare every input with every target (${formatShape([...target.shape, ...target.shape.slice(-1)])}), the wrong loss. Keep the target's column: y.narrow(1, i, 1) (y[:, i:i+1] in PyTorch) instead of y[:, i], or reshape it to ${a}.`
    : ` Compute the loss on matching tensors, e.g. each task's output against its own target column y.narrow(1, i, 1).`;
  throw new Error(`${op}: input ${a} and target ${b} must have the same shape.${hint}`);
}

export function checkInputAndTarget(op: string, input: unknown, target: unknown): void {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
}
