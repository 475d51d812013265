// Per-task gradients by one backward pass: the Jacobian of T losses with respect to parameters,
// and the [T, P] matrix the aggregators take.
import { jacobianRows } from '../autograd/engine.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { tidy } from '../memory.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cat } from '../ops/views.js';

/** The T losses as T one-element tensors: given as an array, or as the entries of a 1-D tensor [T]. */
export function taskLosses(op: string, losses: unknown): Tensor[] {
  if (Array.isArray(losses)) {
    if (losses.length === 0) throw new Error(`${op}: expects at least one loss, got an empty array`);
    return losses.map((l, i) => {
      const t = checkTensor(op, `losses[${i}]`, l);
      if (t.size !== 1) throw new Error(`${op}: losses[${i}] must hold one value, got ${formatShape(t.shape)}; reduce each task's loss with mean() or sum()`);
      if (!t.requiresGrad) throw new Error(`${op}: losses[${i}] does not require grad (no parameter with requiresGrad was used to compute it)`);
      return t;
    });
  }
  const t = checkTensor(op, 'losses', losses, 'pass an array of the task losses');
  if (t.ndim !== 1 || t.shape[0] < 1) throw new Error(`${op}: losses must be an array of one-element tensors or a 1-D tensor [T], got ${formatShape(t.shape)}`);
  if (!t.requiresGrad) throw new Error(`${op}: losses ${formatShape(t.shape)} do not require grad`);
  return Array.from({ length: t.shape[0] }, (_, i) => t.narrow(0, i, 1));
}

export interface JacobianOptions {
  /** Keep the graph for another backward. */
  retainGraph?: boolean;
  /** Record the backward so the Jacobian is differentiable (GradNorm, MAML). */
  createGraph?: boolean;
}

/**
 * The Jacobian of the T `losses` with respect to each of `params`: one [T, ...param.shape] tensor
 * per parameter (row t: the gradient of loss t; zeros where a loss does not use the parameter),
 * from one backward pass rather than T: each task's own layers (its head) are walked once for it
 * alone, the layers the tasks share once for all T rows, batched.
 */
export function jacobian(losses: readonly Tensor[] | Tensor, params: readonly Tensor[], options: JacobianOptions = {}): Tensor[] {
  if (!Array.isArray(params) || params.length === 0) throw new Error(`jacobian: params must be a non-empty array of tensors, got ${describe(params)}`);
  params.forEach((p, i) => {
    if (!checkTensor('jacobian', `params[${i}]`, p).requiresGrad) throw new Error(`jacobian: params[${i}] ${formatShape(p.shape)} does not require grad`);
  });
  const { retainGraph = false, createGraph = false } = checkOptions('jacobian', options, ['retainGraph', 'createGraph']);
  return tidy(() => jacobianRows(taskLosses('jacobian', losses), params, { allowUnused: true, retainGraph, createGraph }));
}

/** Per-parameter Jacobians [T, ...shape] joined into the [T, P] matrix the aggregators take. */
export function flattenJacobian(jacobians: readonly Tensor[]): Tensor {
  if (!Array.isArray(jacobians) || jacobians.length === 0) throw new Error(`flattenJacobian: expects a non-empty array of [T, ...shape] tensors, got ${describe(jacobians)}`);
  const T = checkTensor('flattenJacobian', 'jacobians[0]', jacobians[0]).shape[0];
  jacobians.forEach((j, i) => {
    if (checkTensor('flattenJacobian', `jacobians[${i}]`, j).ndim < 1 || j.shape[0] !== T) {
      throw new Error(`flattenJacobian: every Jacobian needs the same leading T; jacobians[0] is ${formatShape(jacobians[0].shape)}, jacobians[${i}] ${formatShape(j.shape)}`);
    }
  });
  return tidy(() => cat(jacobians.map((j) => j.reshape([T, -1])), 1));
}
