// Per-task gradients by one batched backward: the Jacobian of T losses with respect to parameters
// (identity seeds, grad's isGradsBatched), and the [T, P] matrix the aggregators take.
import { grad } from '../autograd/engine.js';
import { checkTensor, describe } from '../check.js';
import { tensor } from '../creation.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cat } from '../ops/views.js';
import { stack } from '../ops/dims.js';

/** The T losses as one [T] tensor: an array of one-element tensors, or a 1-D tensor of them. */
export function stackLosses(op: string, losses: unknown): Tensor {
  if (Array.isArray(losses)) {
    if (losses.length === 0) throw new Error(`${op}: expects at least one loss, got an empty array`);
    losses.forEach((l, i) => {
      const t = checkTensor(op, `losses[${i}]`, l);
      if (t.size !== 1) throw new Error(`${op}: losses[${i}] must hold one value, got ${formatShape(t.shape)}; reduce each task's loss with mean() or sum()`);
      if (!t.requiresGrad) throw new Error(`${op}: losses[${i}] does not require grad (no parameter with requiresGrad was used to compute it)`);
    });
    return stack(losses.map((l: Tensor) => l.reshape([])));
  }
  const t = checkTensor(op, 'losses', losses, 'pass an array of the task losses');
  if (t.ndim !== 1 || t.shape[0] < 1) throw new Error(`${op}: losses must be an array of one-element tensors or a 1-D tensor [T], got ${formatShape(t.shape)}`);
  if (!t.requiresGrad) throw new Error(`${op}: losses ${formatShape(t.shape)} do not require grad`);
  return t;
}

/** The T×T identity on `device`: the seeds whose batched backward gives every loss's gradient. */
export function identitySeeds(T: number, device: Tensor['device']): Tensor {
  const eye = new Float32Array(T * T);
  for (let i = 0; i < T; i++) eye[i * T + i] = 1;
  return tensor(eye, { shape: [T, T], device });
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
 * from one batched backward pass rather than T.
 */
export function jacobian(losses: readonly Tensor[] | Tensor, params: readonly Tensor[], options: JacobianOptions = {}): Tensor[] {
  const L = stackLosses('jacobian', losses);
  if (!Array.isArray(params) || params.length === 0) throw new Error(`jacobian: params must be a non-empty array of tensors, got ${describe(params)}`);
  params.forEach((p, i) => {
    if (!checkTensor('jacobian', `params[${i}]`, p).requiresGrad) throw new Error(`jacobian: params[${i}] ${formatShape(p.shape)} does not require grad`);
  });
  const { retainGraph = false, createGraph = false } = options;
  return grad(L, params, { gradOutputs: identitySeeds(L.shape[0], L.device), isGradsBatched: true, allowUnused: true, retainGraph, createGraph });
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
  return cat(jacobians.map((j) => j.reshape([T, -1])), 1);
}
